/* capsa-oci: a command's options from its table (capsa/options.h), and its --help. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "capsa/options.h"
#include "oci.h"

/* whether capsa_opt_help prints a line for any of opts */
static bool
any_shown (const struct capsa_opt *o)
{
  for (; o->name || o->letter; o++)
    if (o->help && !(o->flags & CAPSA_OPTF_HIDDEN))
      return true;
  return false;
}

static void
oci_help (const struct oci_cmd *cmd)
{
  printf ("Usage: capsa-oci %s%s%s\n", cmd->name, *cmd->usage ? " " : "", cmd->usage);
  if (cmd->about || any_shown (cmd->opts))
    putchar ('\n');
  if (cmd->about)
    fputs (cmd->about, stdout);
  capsa_opt_help (stdout, cmd->opts, cmd->column, cmd->style);
}

int
oci_parse (const struct oci_cmd *cmd, int argc, char **argv, void *base)
{
  capsa_err *err = NULL;
  int r = capsa_opt_parse (cmd->opts, cmd->flags, argc, argv, base, &err);
  if (r == CAPSA_OPT_HELP_ASKED)
    {
      oci_help (cmd);
      return 0;
    }
  if (r == CAPSA_OPT_USAGE)
    {
      oci_usage (cmd->name, "%s", err->msg);
      capsa_err_free (&err);
      return -1;
    }
  if (r < 0)
    return oci_fail (&err), -1;
  return r;
}

/* --format table|json (list and ps) */
int
oci_check_format (const char *value, capsa_err **err)
{
  if (strcmp (value, "table") != 0 && strcmp (value, "json") != 0)
    return capsa_fail_as (err, EINVAL, "--format: unknown format `%s` (table or json)", value);
  return 0;
}
