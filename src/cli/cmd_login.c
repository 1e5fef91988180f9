/* capsa login [--username U] [--password P | --password-stdin] REGISTRY */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"
#include "image_opts.h"
#include "progress.h"

static char *
read_line (FILE *f, bool echo)
{
  struct termios old, quiet;
  bool tty = !echo && isatty (fileno (f)) && tcgetattr (fileno (f), &old) == 0;
  char *line = NULL;
  size_t cap = 0;
  if (tty)
    {
      quiet = old;
      quiet.c_lflag &= (tcflag_t) ~ECHO;
      tcsetattr (fileno (f), TCSAFLUSH, &quiet);
    }
  ssize_t n = getline (&line, &cap, f);
  if (tty)
    {
      tcsetattr (fileno (f), TCSAFLUSH, &old);
      fputc ('\n', stderr);
    }
  if (n < 0)
    {
      free (line);
      return NULL;
    }
  line[strcspn (line, "\r\n")] = '\0';
  return line;
}

int
cmd_login (struct cli_global *g, int argc, char **argv)
{
  struct capsa_registry_opts o;
  struct cli_progress pr = { 0 };
  struct login_flags f = { 0 };
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_login, argc, argv, &f);
  if (first <= 0)
    return -first;
  cleanup_free char *user = f.user ? capsa_xstrdup (f.user) : NULL,
                    *password = f.password ? capsa_xstrdup (f.password) : NULL;
  bool from_stdin = f.from_stdin;
  if (argc - first != 1)
    return cli_usage ("login", "requires exactly 1 argument (REGISTRY)");
  if (from_stdin && password)
    return cli_usage ("login", "--password and --password-stdin cannot be used together");
  if (from_stdin && user == NULL)
    return cli_usage ("login", "--password-stdin needs --username");
  if (user == NULL)
    {
      fprintf (stderr, "Username: ");
      user = read_line (stdin, true);
    }
  if (password == NULL)
    {
      if (!from_stdin)
        fprintf (stderr, "Password: ");
      password = read_line (stdin, from_stdin);
    }
  if (user == NULL || *user == '\0' || password == NULL || *password == '\0')
    return cli_usage ("login", "a username and a password are required");
  cli_registry_opts (g, &o, true, &pr);
  if (capsa_login (argv[first], user, password, &o, &err) < 0)
    return cli_fail (&err);
  printf ("Login Succeeded\n");
  return 0;
}

int
cmd_logout (struct cli_global *g, int argc, char **argv)
{
  struct capsa_registry_opts o;
  struct cli_progress pr = { 0 };
  capsa_err *err = NULL;

  int first = cli_parse (&cli_spec_logout, argc, argv, NULL);
  if (first <= 0)
    return -first;
  argv += first - 1; /* (argv[1]: the operand) */
  if (argc - first != 1)
    return cli_usage ("logout", "requires exactly 1 argument (REGISTRY)");
  cli_registry_opts (g, &o, true, &pr);
  int r = capsa_logout (argv[1], &o, &err);
  if (r < 0)
    return cli_fail (&err);
  if (r == 1)
    printf ("Not logged in to %s\n", argv[1]);
  else
    printf ("Removing login credentials for %s\n", argv[1]);
  return 0;
}
