/* `capsa completion bash`: a bash completion script made from the option tables (cli_commands,
 * their specs and groups), so that it names every command, subcommand and flag there is. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const struct cli_spec cli_spec_completion = {
  "completion",
  "bash",
  "Print a bash completion script for capsa: commands, subcommands and their flags\n"
  "(`source <(capsa completion bash)`, or save it in /etc/bash_completion.d/capsa).",
  cli_no_options,
  0,
  NULL
};

/* every flag of a table (" --name -x"), or only those that take a value */
static void
print_flags (FILE *f, const struct capsa_opt *opts, bool valued)
{
  for (const struct capsa_opt *o = opts; o->name || o->letter; o++)
    {
      if ((o->flags & CAPSA_OPTF_HIDDEN) || (valued && !capsa_opt_takes_value (o)))
        continue;
      if (o->name)
        fprintf (f, " --%s", o->name);
      if (o->letter)
        fprintf (f, " -%c", o->letter);
    }
}

/* one `case` entry of _capsa_flags / _capsa_valued for PATH ("volume create") */
static void
print_case (FILE *f, const char *path, const struct cli_spec *spec, bool valued)
{
  if (spec == NULL)
    return;
  fprintf (f, "    \"%s\") echo \"", path);
  print_flags (f, spec->opts, valued);
  fprintf (f, "\" ;;\n");
}

static void
print_cases (FILE *f, bool valued)
{
  fprintf (f, "    \"\") echo \"");
  print_flags (f, cli_global_opts, valued);
  fprintf (f, "\" ;;\n");
  for (const struct cli_command *c = cli_commands; c->name; c++)
    {
      if (c->help == NULL)
        continue;
      print_case (f, c->name, c->spec, valued);
      for (size_t i = 0; c->group && i < c->group->n; i++)
        {
          char path[128];
          snprintf (path, sizeof path, "%s %s", c->name, c->group->subs[i].name);
          print_case (f, path, c->group->subs[i].spec, valued);
        }
    }
}

static const char script_body[]
    = "# the words before the cursor: global options, the command, a group's subcommand, then its\n"
      "# options (a flag that takes a value skips the next word) until the first operand\n"
      "_capsa () {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} path=\"\" w i skip=\"\"\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    w=${COMP_WORDS[i]}\n"
      "    if [[ -n $skip ]]; then skip=\"\"; continue; fi\n"
      "    case $w in\n"
      "      --) return ;;\n"
      "      -*=*) ;;\n"
      "      -*) [[ \" $(_capsa_valued \"$path\") \" == *\" $w \"* ]] && skip=1 ;;\n"
      "      *)\n"
      "        if [[ -z $path ]]; then path=$w\n"
      "        elif [[ $path != *\" \"* && -n $(_capsa_subs \"$path\") ]]; then path=\"$path $w\"\n"
      "        else return; fi ;;\n"
      "    esac\n"
      "  done\n"
      "  if [[ -n $skip ]]; then return; fi\n"
      "  if [[ $cur == -* ]]; then\n"
      "    COMPREPLY=($(compgen -W \"$(_capsa_flags \"$path\")\" -- \"$cur\"))\n"
      "  elif [[ -z $path ]]; then\n"
      "    COMPREPLY=($(compgen -W \"$_capsa_commands\" -- \"$cur\"))\n"
      "  elif [[ $path != *\" \"* && -n $(_capsa_subs \"$path\") ]]; then\n"
      "    COMPREPLY=($(compgen -W \"$(_capsa_subs \"$path\")\" -- \"$cur\"))\n"
      "  fi\n"
      "}\n"
      "complete -o default -F _capsa capsa\n";

static void
print_bash (FILE *f)
{
  fprintf (f, "# bash completion for capsa (made by `capsa completion bash` from its option tables)\n");
  fprintf (f, "_capsa_commands=\"");
  for (const struct cli_command *c = cli_commands; c->name; c++)
    if (c->help)
      fprintf (f, " %s", c->name);
  fprintf (f, "\"\n\n# a group's subcommands\n_capsa_subs () {\n  case $1 in\n");
  for (const struct cli_command *c = cli_commands; c->name; c++)
    if (c->help && c->group)
      {
        fprintf (f, "    %s) echo \"", c->name);
        for (size_t i = 0; i < c->group->n; i++)
          fprintf (f, " %s", c->group->subs[i].name);
        fprintf (f, "\" ;;\n");
      }
  fprintf (f, "  esac\n}\n\n# the flags of a command (\"\": the global ones)\n_capsa_flags () {\n  case $1 in\n");
  print_cases (f, false);
  fprintf (f, "  esac\n}\n\n# those that take a value\n_capsa_valued () {\n  case $1 in\n");
  print_cases (f, true);
  fprintf (f, "  esac\n}\n\n%s", script_body);
}

int
cmd_completion (struct cli_global *g, int argc, char **argv)
{
  int first = cli_parse (&cli_spec_completion, argc, argv, NULL);
  if (first <= 0)
    return -first;
  if (argc - first != 1 || strcmp (argv[first], "bash") != 0)
    return cli_usage ("completion", "requires exactly 1 argument: the shell (bash)");
  print_bash (stdout);
  return 0;
}
