/* capsa-image: the image transfer commands of `capsa` (pull, push, login, logout, load, save,
 * import, also as `capsa image pull|push|load|save|import`; and commit, which writes a layer).  They need libcurl,
 * libarchive and OpenSSL, which the container commands do not, so they are a program of their own, installed in
 * libexec/capsa: `capsa` executes it with its own command line (cli_image_helper), and its output,
 * messages and exit status are those of the command. */
#include <stdio.h>
#include <string.h>

#include "capsa/util.h"
#include "cli.h"

static const struct command
{
  const char *name;
  int (*fn) (struct cli_global *, int, char **);
  bool under_image; /* also `capsa image NAME` */
} commands[] = {
  { "pull", cmd_pull, true },      { "push", cmd_push, true },      { "login", cmd_login, false },
  { "logout", cmd_logout, false }, { "load", cmd_load, true },      { "save", cmd_save, true },
  { "import", cmd_import, true },  { "commit", cmd_commit, false }, { "build", cmd_build, true },
};

static void
print_usage (FILE *f)
{
  fputs ("Usage: capsa [GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS...\n"
         "\n"
         "capsa-image runs the image transfer commands of capsa: pull, push, login, logout, load,\n"
         "save, import, commit (and `image pull|push|load|save|import`).  See `capsa --help`.\n",
         f);
}

static int
dispatch (struct cli_global *g, int argc, char **argv, bool under_image)
{
  for (size_t i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (commands[i].name, argv[0]) == 0 && (!under_image || commands[i].under_image))
      {
        return commands[i].fn (g, argc, argv);
      }
  if (under_image)
    return cli_usage ("image", "unknown command `%s`", argv[0]);
  return cli_usage ("capsa", "unknown command `%s` (capsa-image runs only the image transfers)", argv[0]);
}

static int
run_command (struct cli_global *g, int first)
{
  int argc = g->argc;
  char **argv = g->argv;
  if (strcmp (argv[first], "image") == 0 && first + 1 < argc)
    return dispatch (g, argc - first - 1, argv + first + 1, true);
  if (strcmp (argv[first], "container") == 0 && first + 1 < argc && strcmp (argv[first + 1], "commit") == 0)
    return dispatch (g, argc - first - 1, argv + first + 1, false); /* `capsa container commit` */
  return dispatch (g, argc - first, argv + first, false);
}

int
main (int argc, char **argv)
{
  return cli_main (argc, argv, print_usage, run_command);
}
