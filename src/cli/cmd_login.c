/* capsa login [--username U] [--password P | --password-stdin] REGISTRY */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"
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
  static const struct option opts[] = {
    { "username", required_argument, NULL, 'u' },
    { "password", required_argument, NULL, 'p' },
    { "password-stdin", no_argument, NULL, 's' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  struct capsa_registry_opts o;
  struct cli_progress pr = { 0 };
  cleanup_free char *user = NULL, *password = NULL;
  bool from_stdin = false;
  capsa_err *err = NULL;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "u:p:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'u':
        free (user);
        user = capsa_xstrdup (optarg);
        break;
      case 'p':
        free (password);
        password = capsa_xstrdup (optarg);
        break;
      case 's':
        from_stdin = true;
        break;
      case 'h':
        printf ("Usage: capsa login [OPTIONS] REGISTRY\n\n"
                "Check the credentials against REGISTRY, then save them (--authfile, default\n"
                "$XDG_CONFIG_HOME/capsa/auth.json, mode 0600).\n"
                "  -u, --username USER\n"
                "  -p, --password PASSWORD   (visible to other users in ps: prefer --password-stdin)\n"
                "      --password-stdin      read the password from stdin\n");
        return 0;
      default:
        return cli_usage ("login", "unknown option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 1)
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
  if (capsa_login (argv[optind], user, password, &o, &err) < 0)
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

  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: capsa logout REGISTRY\n\nRemove REGISTRY's credentials from capsa's auth file.\n");
      return 0;
    }
  if (argc != 2)
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
