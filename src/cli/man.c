/* `capsa __man DIR`: the manual pages, made from the option tables (cli_commands, their specs
 * and groups): capsa.1, capsa-COMMAND.1 for each command, capsa-GROUP.1 and capsa-GROUP-SUB.1
 * for each group.  The build runs it (src/cli/meson.build) and `meson install` puts the pages
 * in mandir/man1.  Each page has NAME, SYNOPSIS, DESCRIPTION and OPTIONS: the options are those
 * `capsa CMD --help` lists (not the hidden ones), with their help text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "capsa/util.h"
#include "cli.h"

/* "network create" -> "network-create" (the page's name after "capsa-") */
static void
page_name (char *buf, size_t len, const char *cmd)
{
  snprintf (buf, len, "capsa%s%s", cmd ? "-" : "", cmd ? cmd : "");
  for (char *p = buf; *p; p++)
    if (*p == ' ')
      *p = '-';
}

/* The page of one command (spec), oneline its line in the command list. */
static void
page_command (FILE *f, const struct cli_spec *spec, const char *path, const char *oneline)
{
  char page[128];
  page_name (page, sizeof page, path);
  capsa_opt_man_head (f, page, "capsa " CAPSA_VERSION, oneline);
  fputs (".SH SYNOPSIS\n.B capsa ", f);
  capsa_opt_man_text (f, path);
  fputc ('\n', f);
  if (spec->usage)
    {
      capsa_opt_man_text (f, spec->usage);
      fputc ('\n', f);
    }
  fputs (".SH DESCRIPTION\n", f);
  capsa_opt_man_text (f, spec->summary);
  fputc ('\n', f);
  capsa_opt_man (f, spec->opts, "OPTIONS");
  if (spec->footer)
    {
      fputs (".SH NOTES\n.nf\n", f);
      capsa_opt_man_text (f, spec->footer);
      fputs ("\n.fi\n", f);
    }
  fputs (".SH SEE ALSO\n\\fBcapsa\\fR(1)\n", f);
}

/* A group's page: its subcommands, each with its page. */
static void
page_group (FILE *f, const struct cli_command *c)
{
  char page[128];
  page_name (page, sizeof page, c->name);
  capsa_opt_man_head (f, page, "capsa " CAPSA_VERSION, c->help);
  fprintf (f, ".SH SYNOPSIS\n.B capsa %s\nSUBCOMMAND [OPTIONS] ARGS...\n.SH SUBCOMMANDS\n", c->name);
  for (size_t i = 0; i < c->group->n; i++)
    {
      const struct cli_sub *s = &c->group->subs[i];
      if (s->alias)
        continue;
      char sub[100];
      snprintf (sub, sizeof sub, "%s %s", c->name, s->name);
      page_name (page, sizeof page, sub);
      fprintf (f, ".TP\n\\fB%s\\fR(1)\n", page);
      capsa_opt_man_text (f, s->help);
      fputc ('\n', f);
    }
  fputs (".SH SEE ALSO\n\\fBcapsa\\fR(1)\n", f);
}

static void
page_main (FILE *f)
{
  capsa_opt_man_head (f, "capsa", "capsa " CAPSA_VERSION, "containers from images, the Docker way");
  fputs (".SH SYNOPSIS\n.B capsa\n[GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS...\n.SH DESCRIPTION\n"
         "capsa runs containers from images without a daemon. Each command has a page of its own: "
         "\\fBcapsa\\-run\\fR(1), and \\fBcapsa \\fICOMMAND\\fB \\-\\-help\\fR prints the same options.\n",
         f);
  capsa_opt_man (f, cli_global_opts, "GLOBAL OPTIONS");
  fputs (".SH COMMANDS\n", f);
  for (const struct cli_command *c = cli_commands; c->name; c++)
    if (c->help)
      {
        char page[128];
        page_name (page, sizeof page, c->name);
        fprintf (f, ".TP\n\\fB%s\\fR(1)\n", page);
        capsa_opt_man_text (f, c->help);
        fputc ('\n', f);
      }
}

/* The commands whose pages are written: every listed one and its subcommands, an alias's too
 * (docker's `network list`) left out. */
typedef void page_fn (FILE *f, const void *what, const char *path, const char *oneline);

static void
write_cmd (FILE *f, const void *what, const char *path, const char *oneline)
{
  page_command (f, what, path, oneline);
}

static void
write_group (FILE *f, const void *what, const char *path, const char *oneline)
{
  (void) oneline, (void) path;
  page_group (f, what);
}

static void
write_main (FILE *f, const void *what, const char *path, const char *oneline)
{
  (void) what, (void) oneline, (void) path;
  page_main (f);
}

/* DIR/PAGE.1 */
static int
write_page (const char *dir, const char *cmd, page_fn *fn, const void *what, const char *oneline, capsa_err **err)
{
  char page[128];
  page_name (page, sizeof page, cmd);
  cleanup_free char *file = capsa_xasprintf ("%s/%s.1", dir, page);
  FILE *f = fopen (file, "we");
  if (f == NULL)
    return capsa_fail (err, errno, "create the page `%s`", file);
  fn (f, what, cmd, oneline);
  if (fclose (f) != 0)
    return capsa_fail (err, errno, "write the page `%s`", file);
  return 0;
}

static int
write_pages (const char *dir, capsa_err **err)
{
  if (write_page (dir, NULL, write_main, NULL, NULL, err) < 0)
    return -1;
  for (const struct cli_command *c = cli_commands; c->name; c++)
    {
      if (c->help == NULL)
        continue;
      if (c->spec && write_page (dir, c->name, write_cmd, c->spec, c->help, err) < 0)
        return -1;
      if (c->group && write_page (dir, c->name, write_group, c, NULL, err) < 0)
        return -1;
      for (size_t i = 0; c->group && i < c->group->n; i++)
        {
          const struct cli_sub *s = &c->group->subs[i];
          char sub[100];
          snprintf (sub, sizeof sub, "%s %s", c->name, s->name);
          if (!s->alias && s->spec && write_page (dir, sub, write_cmd, s->spec, s->help, err) < 0)
            return -1;
        }
    }
  return 0;
}

const struct cli_spec cli_spec_man = {
  "__man",
  "DIR [STAMP]",
  "Write the manual pages (capsa.1, capsa-COMMAND.1...) into DIR, made from the option tables;\n"
  "then touch STAMP when given (the build's record that they are made).",
  cli_no_options,
  0,
  NULL
};

int
cmd_man (struct cli_global *g, int argc, char **argv)
{
  (void) g;
  int first = cli_parse (&cli_spec_man, argc, argv, NULL);
  if (first <= 0)
    return -first;
  if (argc - first < 1 || argc - first > 2)
    return cli_usage ("__man", "requires 1 or 2 arguments: DIR [STAMP]");
  capsa_err *err = NULL;
  const char *dir = argv[first];
  if (mkdir (dir, 0755) < 0 && errno != EEXIST)
    {
      capsa_fail (&err, errno, "create the directory `%s`", dir);
      return cli_fail (&err);
    }
  if (write_pages (dir, &err) < 0)
    return cli_fail (&err);
  if (argc - first == 2)
    {
      FILE *f = fopen (argv[first + 1], "we");
      if (f == NULL || fclose (f) != 0)
        {
          capsa_fail (&err, errno, "write the stamp `%s`", argv[first + 1]);
          return cli_fail (&err);
        }
    }
  return 0;
}
