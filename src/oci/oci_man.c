/* `capsa-oci __man DIR`: capsa-oci.1 and capsa-oci-COMMAND.1, made from the command table and
 * each command's option table (the roff from capsa/options.h), as `capsa __man` makes capsa's;
 * the build runs it (src/oci/meson.build) and `meson install` puts them in mandir/man1. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "capsa/capsa.h"
#include "capsa/options.h"
#include "capsa/util.h"
#include "oci.h"

#define PROGRAM "capsa-oci " CAPSA_VERSION

static void
page_command (FILE *f, const struct oci_command *c)
{
  cleanup_free char *page = capsa_xasprintf ("capsa-oci-%s", c->name);
  capsa_opt_man_head (f, page, PROGRAM, c->help);
  fprintf (f, ".SH SYNOPSIS\n.B capsa\\-oci %s\n", c->name);
  capsa_opt_man_text (f, c->cmd->usage);
  fputs ("\n.SH DESCRIPTION\n", f);
  capsa_opt_man_text (f, c->cmd->about ? c->cmd->about : c->help);
  fputc ('\n', f);
  capsa_opt_man (f, c->cmd->opts, "OPTIONS");
  fputs (".SH SEE ALSO\n\\fBcapsa\\-oci\\fR(1)\n", f);
}

static void
page_main (FILE *f)
{
  capsa_opt_man_head (f, "capsa-oci", PROGRAM, "an OCI runtime with runc's command line");
  fputs (".SH SYNOPSIS\n.B capsa\\-oci\n[GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS...\n.SH DESCRIPTION\n"
         "An OCI runtime (runtime\\-spec " CAPSA_OCI_VERSION ") with runc's command line: podman, containerd "
         "and dockerd drive it as they drive runc.\n",
         f);
  capsa_opt_man (f, oci_global_opts, "GLOBAL OPTIONS");
  fputs (".SH COMMANDS\n", f);
  for (const struct oci_command *c = oci_commands; c->name; c++)
    {
      fprintf (f, ".TP\n\\fBcapsa\\-oci\\-%s\\fR(1)\n", c->name);
      capsa_opt_man_text (f, c->help);
      fputc ('\n', f);
    }
}

/* DIR/capsa-oci-COMMAND.1 of c, or DIR/capsa-oci.1 (c NULL) */
static int
write_page (const char *dir, const struct oci_command *c, capsa_err **err)
{
  cleanup_free char *file = c ? capsa_xasprintf ("%s/capsa-oci-%s.1", dir, c->name)
                              : capsa_xasprintf ("%s/capsa-oci.1", dir);
  FILE *f = fopen (file, "we");
  if (f == NULL)
    return capsa_fail (err, errno, "create the page `%s`", file);
  if (c)
    page_command (f, c);
  else
    page_main (f);
  if (fclose (f) != 0)
    return capsa_fail (err, errno, "write the page `%s`", file);
  return 0;
}

int
oci_man (const char *dir)
{
  capsa_err *err = NULL;
  if (mkdir (dir, 0755) < 0 && errno != EEXIST)
    {
      capsa_fail (&err, errno, "create the directory `%s`", dir);
      return oci_fail (&err);
    }
  if (write_page (dir, NULL, &err) < 0)
    return oci_fail (&err);
  for (const struct oci_command *c = oci_commands; c->name; c++)
    if (write_page (dir, c, &err) < 0)
      return oci_fail (&err);
  return 0;
}
