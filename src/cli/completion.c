/* `capsa completion bash|zsh|fish`: a completion script made from the option tables
 * (cli_commands, their specs and groups), so that it names every command, subcommand and flag
 * there is.  Where an operand or an option's value is a container, an image, a network or a
 * volume (the word in the spec's usage, or the option's), the script asks capsa for the names
 * when it completes (`capsa ps -a --format '{{.Names}}'`, as docker's scripts do), with the
 * global options of the line being completed (--root...). */
#include <stdio.h>
#include <string.h>

#include "capsa/util.h"
#include "cli.h"

const struct cli_spec cli_spec_completion = {
  "completion",
  "bash|zsh|fish",
  "Print a completion script for capsa: commands, subcommands, their flags, and the names of\n"
  "containers, images, networks and volumes where one is wanted.\n"
  "bash: `source <(capsa completion bash)`, or save it as /usr/share/bash-completion/completions/capsa;\n"
  "zsh: save it as _capsa in a directory of $fpath; fish: `capsa completion fish | source`, or save it\n"
  "as ~/.config/fish/completions/capsa.fish.  `meson install` installs all three.",
  cli_no_options,
  0,
  NULL
};

/* ---- what an operand or a value is ------------------------------------------------------ */

/* The kind of a usage word ("CONTAINER...", "[IMAGE]", "NETWORK"): container, image, network,
 * volume, or "-" (anything: files). in_volume: the spec is a volume subcommand, whose NAME is a
 * volume's. */
static const char *
word_kind (const char *w, size_t n, bool in_volume)
{
  static const struct
  {
    const char *word, *kind;
  } kinds[] = { { "CONTAINER", "container" }, { "IMAGE", "image" },   { "SOURCE_IMAGE", "image" },
                { "NETWORK", "network" },     { "VOLUME", "volume" }, { "CONTAINER:SRC", "container" },
                { "REPOSITORY", "image" } };
  for (size_t i = 0; i < ARRAY_SIZE (kinds); i++)
    {
      size_t k = strlen (kinds[i].word);
      if (n >= k && strncmp (w, kinds[i].word, k) == 0 && (n == k || strchr ("[:.|", w[k])))
        return kinds[i].kind;
    }
  if (in_volume && n >= 4 && strncmp (w, "NAME", 4) == 0)
    return "volume";
  return "-";
}

/* The operands of a spec's usage as kinds, one word each, the last with "+" when it repeats:
 * "[OPTIONS] IMAGE [COMMAND] [ARG...]" -> "image - -+"; options in brackets ("[-t SECONDS]",
 * "[OPTIONS]") are skipped; only the first line (cp's has two forms). */
static void
print_operands (FILE *f, const struct cli_spec *spec)
{
  const char *u = spec->usage ? spec->usage : "";
  bool in_volume = strncmp (spec->name, "volume ", 7) == 0, first = true;
  int skip = 0; /* depth of a bracket that holds an option */
  while (*u && *u != '\n')
    {
      size_t n = strcspn (u, " \n");
      const char *w = u;
      u += n;
      u += strspn (u, " ");
      if (skip || (w[0] == '[' && (w[1] == '-' || strncmp (w, "[OPTIONS]", 9) == 0)))
        {
          for (size_t i = 0; i < n; i++)
            skip += w[i] == '[' ? 1 : w[i] == ']' ? -1 : 0;
          continue;
        }
      while (n && w[0] == '[')
        w++, n--;
      if (n == 0 || w[0] == '-')
        continue;
      bool more = n > 3 && memmem (w, n, "...", 3) != NULL;
      fprintf (f, "%s%s%s", first ? "" : " ", word_kind (w, n, in_volume), more ? "+" : "");
      first = false;
    }
}

/* The kind of an option's value: names for --network, --volumes-from; files for FILE or DIR. */
static const char *
value_kind (const struct capsa_opt *o)
{
  if (o->name && strcmp (o->name, "network") == 0)
    return "network";
  if (o->name && strcmp (o->name, "volumes-from") == 0)
    return "container";
  if (o->arg && (strstr (o->arg, "FILE") || strstr (o->arg, "DIR")))
    return "file";
  return NULL;
}

static bool
listed (const struct capsa_opt *o)
{
  return !(o->flags & CAPSA_OPTF_HIDDEN);
}

/* Each command path ("" for the global options, "run", "volume create") with its spec: fn is
 * called for every one capsa lists. */
typedef void path_fn (FILE *f, const char *path, const struct cli_spec *spec, const char *help, void *arg);

static void
each_path (FILE *f, path_fn *fn, void *arg)
{
  for (const struct cli_command *c = cli_commands; c->name; c++)
    {
      if (c->help == NULL)
        continue;
      fn (f, c->name, c->spec, c->help, arg);
      for (size_t i = 0; c->group && i < c->group->n; i++)
        {
          char path[128];
          snprintf (path, sizeof path, "%s %s", c->name, c->group->subs[i].name);
          fn (f, path, c->group->subs[i].spec, c->group->subs[i].help, arg);
        }
    }
}

/* ---- bash (zsh shares its data functions) ---------------------------------------------- */

/* every flag of a table (" --name -x"), or only those that take a value */
static void
print_flags (FILE *f, const struct capsa_opt *opts, bool valued)
{
  for (const struct capsa_opt *o = opts; o->name || o->letter; o++)
    {
      if (!listed (o) || (valued && !capsa_opt_takes_value (o)))
        continue;
      if (o->name)
        fprintf (f, " --%s", o->name);
      if (o->letter)
        fprintf (f, " -%c", o->letter);
    }
}

enum sh_case
{
  CASE_FLAGS,
  CASE_VALUED,
  CASE_OPERANDS,
  CASE_STOP,
};

/* one `case` entry of the data function for PATH */
static void
print_case (FILE *f, const char *path, const struct cli_spec *spec, const char *help, void *arg)
{
  enum sh_case what = *(enum sh_case *) arg;
  (void) help;
  /* (CASE_STOP: the options end at the operand that starts a command line: run, exec...) */
  if (spec == NULL
      || (what == CASE_STOP && (!(spec->flags & CAPSA_OPT_STOP) || !spec->usage || !strstr (spec->usage, "COMMAND"))))
    return;
  fprintf (f, "    \"%s\") echo \"", path);
  if (what == CASE_OPERANDS)
    print_operands (f, spec);
  else if (what != CASE_STOP)
    print_flags (f, spec->opts, what == CASE_VALUED);
  else
    fputs ("1", f);
  fprintf (f, "\" ;;\n");
}

static void
print_cases (FILE *f, const char *fn, const char *comment, enum sh_case what)
{
  fprintf (f, "# %s\n%s () {\n  case $1 in\n", comment, fn);
  if (what == CASE_FLAGS || what == CASE_VALUED)
    {
      fprintf (f, "    \"\") echo \"");
      print_flags (f, cli_global_opts, what == CASE_VALUED);
      fprintf (f, "\" ;;\n");
    }
  each_path (f, print_case, &what);
  fprintf (f, "  esac\n}\n\n");
}

/* _capsa_value_kind --OPTION: what its value is (the same option name means the same thing in
 * every table) */
static void
print_value_kinds (FILE *f)
{
  cleanup_strv char **seen = NULL;
  fprintf (f, "# what an option's value is (container, network, file; nothing: no completion)\n"
              "_capsa_value_kind () {\n  case $1 in\n");
  for (const struct cli_command *c = cli_commands; c->name; c++)
    for (size_t i = 0; c->help && i <= (c->group ? c->group->n : 0); i++)
      {
        const struct cli_spec *spec = i == 0 ? c->spec : c->group->subs[i - 1].spec;
        for (const struct capsa_opt *o = spec ? spec->opts : cli_no_options; o->name || o->letter; o++)
          {
            const char *k = value_kind (o);
            if (k == NULL || !capsa_opt_takes_value (o) || !o->name)
              continue;
            bool dup = false;
            for (char **s = seen; s && *s; s++)
              dup |= strcmp (*s, o->name) == 0;
            if (dup)
              continue;
            capsa_strv_append (&seen, o->name);
            fprintf (f, "    --%s) echo %s ;;\n", o->name, k);
          }
      }
  fprintf (f, "  esac\n}\n\n");
}

static const char sh_names[]
    = "# the names of KIND (container, image, network, volume), from capsa itself, with the global\n"
      "# options of the line ($_capsa_global)\n"
      "_capsa_names () {\n"
      "  case $1 in\n"
      "    container) capsa \"${_capsa_global[@]}\" ps -a --format '{{.Names}}' 2>/dev/null ;;\n"
      "    image) capsa \"${_capsa_global[@]}\" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null"
      " | grep -v '<none>' ;;\n"
      "    network) capsa \"${_capsa_global[@]}\" network ls --format '{{.Name}}' 2>/dev/null ;;\n"
      "    volume) capsa \"${_capsa_global[@]}\" volume ls -q 2>/dev/null ;;\n"
      "  esac\n"
      "}\n\n"
      "# the kind of operand number $2 (from 1) of command $1\n"
      "_capsa_operand_kind () {\n"
      "  local k last=\"\" i=0\n"
      "  for k in $(_capsa_operands \"$1\"); do\n"
      "    i=$((i + 1)); last=$k\n"
      "    if [[ $i == \"$2\" ]]; then echo \"${k%+}\"; return; fi\n"
      "  done\n"
      "  [[ $last == *+ ]] && echo \"${last%+}\"\n"
      "}\n\n"
      "# Read the words before the cursor (the array given, from index 1, up to $2): global\n"
      "# options (kept in _capsa_global), the command, a group's subcommand, then its options (a\n"
      "# flag that takes a value skips the next word) and operands.  Sets _capsa_path, _capsa_nth\n"
      "# (operands so far), _capsa_value (the option whose value is at the cursor), _capsa_done\n"
      "# (past `--`, or into a container's command line).\n"
      "_capsa_scan () {\n"
      "  local w i skip=\"\" n=$2 IFS=$' \\t\\n'\n"
      "  shift 2\n"
      "  _capsa_path=\"\" _capsa_nth=0 _capsa_value=\"\" _capsa_done=\"\" _capsa_global=()\n"
      "  for ((i = 1; i < n; i++)); do\n"
      "    w=${_capsa_words[i]}\n"
      "    if [[ -n $skip ]]; then\n"
      "      [[ -z $_capsa_path ]] && _capsa_global+=(\"$w\")\n"
      "      skip=\"\"; continue\n"
      "    fi\n"
      "    case $w in\n"
      "      --) _capsa_done=1; return ;;\n"
      "      -*=*) [[ -z $_capsa_path ]] && _capsa_global+=(\"$w\") ;;\n"
      "      -*)\n"
      "        [[ -z $_capsa_path ]] && _capsa_global+=(\"$w\")\n"
      "        [[ \" $(_capsa_valued \"$_capsa_path\") \" == *\" $w \"* ]] && skip=$w ;;\n"
      "      *)\n"
      "        if [[ -z $_capsa_path ]]; then _capsa_path=$w\n"
      "        elif [[ $_capsa_path != *\" \"* && $_capsa_nth == 0 && -n $(_capsa_subs \"$_capsa_path\") ]]; then\n"
      "          _capsa_path=\"$_capsa_path $w\"\n"
      "        else\n"
      "          _capsa_nth=$((_capsa_nth + 1))\n"
      "          [[ -n $(_capsa_stop \"$_capsa_path\") ]] && _capsa_done=1 && return\n"
      "        fi ;;\n"
      "    esac\n"
      "  done\n"
      "  _capsa_value=$skip\n"
      "}\n\n"
      "# The words that fit at the cursor (cur: the word there), one per line.\n"
      "_capsa_candidates () {\n"
      "  local cur=$1 kind IFS=$' \\t\\n'\n"
      "  if [[ -n $_capsa_done ]]; then return; fi\n"
      "  if [[ -n $_capsa_value ]]; then\n"
      "    kind=$(_capsa_value_kind \"$_capsa_value\")\n"
      "    case $kind in\n"
      "      network) { printf '%s\\n' bridge host none; _capsa_names network; } | sort -u ;;\n"
      "      container | image | volume) _capsa_names \"$kind\" ;;\n"
      "    esac\n"
      "  elif [[ $cur == -* ]]; then\n"
      "    printf '%s\\n' $(_capsa_flags \"$_capsa_path\")\n"
      "  elif [[ -z $_capsa_path ]]; then\n"
      "    printf '%s\\n' $_capsa_commands\n"
      "  elif [[ $_capsa_path != *\" \"* && $_capsa_nth == 0 && -n $(_capsa_subs \"$_capsa_path\") ]]; then\n"
      "    printf '%s\\n' $(_capsa_subs \"$_capsa_path\")\n"
      "  else\n"
      "    kind=$(_capsa_operand_kind \"$_capsa_path\" $((_capsa_nth + 1)))\n"
      "    case $kind in\n"
      "      container | image | network | volume) _capsa_names \"$kind\" ;;\n"
      "    esac\n"
      "  fi\n"
      "}\n\n";

static const char bash_main[] = "_capsa () {\n"
                                "  local cur=${COMP_WORDS[COMP_CWORD]} IFS=$'\\n'\n"
                                "  _capsa_words=(\"${COMP_WORDS[@]}\")\n"
                                "  _capsa_scan _ \"$COMP_CWORD\"\n"
                                "  COMPREPLY=($(compgen -W \"$(_capsa_candidates \"$cur\")\" -- \"$cur\"))\n"
                                "}\n"
                                "complete -o default -F _capsa capsa\n";

static const char zsh_main[]
    = "# (the candidates made in ksh's array rules, which the data functions are written in; zsh's own\n"
      "# completion functions, _files, then run in zsh's)\n"
      "_capsa_zsh_candidates () {\n"
      "  emulate -L zsh -o ksharrays -o shwordsplit\n"
      "  local -a _capsa_words _capsa_global\n"
      "  local _capsa_path _capsa_nth _capsa_value _capsa_done\n"
      "  _capsa_words=(\"${words[@]}\")\n"
      "  _capsa_scan _ $((CURRENT - 1))\n"
      "  _capsa_candidates \"${words[CURRENT - 1]}\"\n"
      "}\n"
      "_capsa () {\n"
      "  local -a cands\n"
      "  cands=(${(f)\"$(_capsa_zsh_candidates)\"})\n"
      "  if (( ${#cands} )); then compadd -- \"${cands[@]}\"; else _files; fi\n"
      "}\n"
      "if [[ ${funcstack[1]} == _capsa ]]; then _capsa \"$@\"; else compdef _capsa capsa; fi\n";

static void
print_sh_data (FILE *f)
{
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
  fprintf (f, "  esac\n}\n\n");
  print_cases (f, "_capsa_flags", "the flags of a command (\"\": the global ones)", CASE_FLAGS);
  print_cases (f, "_capsa_valued", "those that take a value", CASE_VALUED);
  print_cases (f, "_capsa_operands", "its operands' kinds (+: repeated)", CASE_OPERANDS);
  print_cases (f, "_capsa_stop", "the commands whose operands end with a command line", CASE_STOP);
  print_value_kinds (f);
  fputs (sh_names, f);
}

static void
print_bash (FILE *f)
{
  fprintf (f, "# bash completion for capsa (made by `capsa completion bash` from its option tables)\n");
  print_sh_data (f);
  fputs (bash_main, f);
}

static void
print_zsh (FILE *f)
{
  /* (the data functions are the bash script's: zsh runs them with ksharrays, arrays from 0) */
  fprintf (f, "#compdef capsa\n# zsh completion for capsa (made by `capsa completion zsh` from its option tables)\n");
  print_sh_data (f);
  fputs (zsh_main, f);
}

/* ---- fish ------------------------------------------------------------------------------ */

/* a help text for fish's -d: its first line, in single quotes */
static void
fish_quote (FILE *f, const char *s)
{
  fputc ('\'', f);
  for (; s && *s && *s != '\n'; s++)
    {
      if (*s == '\'' || *s == '\\')
        fputc ('\\', f);
      fputc (*s, f);
    }
  fputc ('\'', f);
}

static void
fish_options (FILE *f, const char *cond, const struct capsa_opt *opts)
{
  for (const struct capsa_opt *o = opts; o->name || o->letter; o++)
    {
      if (!listed (o))
        continue;
      fprintf (f, "complete -c capsa -n %s", cond);
      if (o->name)
        fprintf (f, " -l %s", o->name);
      if (o->letter)
        fprintf (f, " -s %c", o->letter);
      if (capsa_opt_takes_value (o))
        {
          const char *k = value_kind (o);
          fputs (" -r", f);
          if (k && strcmp (k, "file") == 0)
            fputs (" -F", f);
          else if (k)
            fprintf (f, " -f -a '(__capsa_names %s)'", k);
          else
            fputs (" -f", f);
        }
      if (o->help && *o->help)
        {
          fputs (" -d ", f);
          fish_quote (f, o->help);
        }
      fputc ('\n', f);
    }
}

static void
fish_path (FILE *f, const char *path, const struct cli_spec *spec, const char *help, void *arg)
{
  (void) arg;
  char cond[160];
  const char *sp = strchr (path, ' ');
  if (sp)
    snprintf (cond, sizeof cond, "'__capsa_is %.*s'", (int) (sp - path), path);
  else
    snprintf (cond, sizeof cond, "__fish_use_subcommand");
  fprintf (f, "complete -c capsa -f -n %s -a %s -d ", cond, sp ? sp + 1 : path);
  fish_quote (f, help);
  fputc ('\n', f);
  if (spec == NULL)
    return;
  snprintf (cond, sizeof cond, "'__capsa_is %s'", path);
  fish_options (f, cond, spec->opts);
  fprintf (f, "complete -c capsa -n %s -a '(__capsa_operand \"", cond);
  print_operands (f, spec);
  fprintf (f, "\")'\n");
}

static const char fish_funcs[]
    = "# Read the line before the cursor: the global options (and their values), the command path\n"
      "# (\"network create\": a group's subcommand too), then the operands; prints what argv[1] asks:\n"
      "# global, path or count (of operands)\n"
      "function __capsa_scan\n"
      "    set -l words (commandline -opc)\n"
      "    set -l glob; set -l path; set -l n 0; set -l skip 0; set -l done 0\n"
      "    set -e words[1]\n"
      "    for w in $words\n"
      "        if test $skip = 1\n"
      "            set skip 0\n"
      "            test $done = 0; and set -a glob $w\n"
      "            continue\n"
      "        end\n"
      "        if string match -q -- '-*' $w\n"
      "            if test $done = 0\n"
      "                set -a glob $w\n"
      "                contains -- $w $__capsa_global_valued; and set skip 1\n"
      "            end\n"
      "            continue\n"
      "        end\n"
      "        if test $done = 1\n"
      "            set n (math $n + 1)\n"
      "            continue\n"
      "        end\n"
      "        set -a path $w\n"
      "        if test (count $path) -ge 2; or not contains -- $path[1] $__capsa_groups\n"
      "            set done 1\n"
      "        end\n"
      "    end\n"
      "    switch $argv[1]\n"
      "        case global\n"
      "            printf '%s\\n' $glob\n"
      "        case path\n"
      "            string join ' ' $path\n"
      "        case count\n"
      "            echo $n\n"
      "    end\n"
      "end\n"
      "function __capsa_is\n"
      "    set -l p (__capsa_scan path) # (quoted: an empty path is still an argument)\n"
      "    test \"$p\" = \"$argv\"\n"
      "end\n"
      "function __capsa_names\n"
      "    set -l g (__capsa_scan global)\n"
      "    switch $argv[1]\n"
      "        case container\n"
      "            capsa $g ps -a --format '{{.Names}}' 2>/dev/null\n"
      "        case image\n"
      "            capsa $g images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | string match -v '*<none>*'\n"
      "        case network\n"
      "            begin; printf '%s\\n' bridge host none; capsa $g network ls --format '{{.Name}}' 2>/dev/null; end | sort -u\n"
      "        case volume\n"
      "            capsa $g volume ls -q 2>/dev/null\n"
      "    end\n"
      "end\n"
      "# the names for the next operand, given the kinds of a command's operands (+: repeated)\n"
      "function __capsa_operand\n"
      "    set -l kinds (string split ' ' -- $argv[1])\n"
      "    set -l n (__capsa_scan count)\n"
      "    set -l k\n"
      "    if test $n -lt (count $kinds)\n"
      "        set k $kinds[(math $n + 1)]\n"
      "    else if test (count $kinds) -gt 0; and string match -q '*+' -- $kinds[-1]\n"
      "        set k $kinds[-1]\n"
      "    end\n"
      "    set k (string trim -r -c + -- \"$k\")\n"
      "    contains -- \"$k\" container image network volume; and __capsa_names $k\n"
      "end\n";

static void
print_fish (FILE *f)
{
  fprintf (f, "# fish completion for capsa (made by `capsa completion fish` from its option tables)\n"
              "set -g __capsa_groups");
  for (const struct cli_command *c = cli_commands; c->name; c++)
    if (c->help && c->group)
      fprintf (f, " %s", c->name);
  fprintf (f, "\nset -g __capsa_global_valued");
  print_flags (f, cli_global_opts, true);
  fprintf (f, "\n%s\ncomplete -c capsa -f\n", fish_funcs);
  fish_options (f, "__fish_use_subcommand", cli_global_opts);
  each_path (f, fish_path, NULL);
}

int
cmd_completion (struct cli_global *g, int argc, char **argv)
{
  (void) g;
  int first = cli_parse (&cli_spec_completion, argc, argv, NULL);
  if (first <= 0)
    return -first;
  const char *sh = argc - first == 1 ? argv[first] : "";
  if (strcmp (sh, "bash") == 0)
    print_bash (stdout);
  else if (strcmp (sh, "zsh") == 0)
    print_zsh (stdout);
  else if (strcmp (sh, "fish") == 0)
    print_fish (stdout);
  else
    return cli_usage ("completion", "requires exactly 1 argument: the shell (bash, zsh or fish)");
  return 0;
}
