/* capsa build [OPTIONS] CONTEXT: capsa_build (include/capsa/build.h) with the command line's
 * options; the steps are printed as they run ("STEP 2/5: RUN make", "--> Using cache"), each
 * with its time, and the image id last (alone with -q).  CONTEXT `-`: a tar of the context on
 * stdin, as `docker build - < ctx.tar` (and the Docker API service's POST /build). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/build.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "cli.h"
#include "image_opts.h"

/* What is printed.  In the sealed copy a build re-executes into before its first RUN, the lines
 * up to that RUN's step line were printed already: they are left out (resume). */
struct printer
{
  struct cli_global *g;
  unsigned resume; /* the step the copy goes on from, 0: none */
};

static void
print_out (void *data, const char *text)
{
  struct printer *p = data;
  if (p->resume)
    {
      if (strncmp (text, "STEP ", 5) == 0 && strtoul (text + 5, NULL, 10) == p->resume)
        p->resume = 0;
      return;
    }
  fputs (text, stdout);
  fflush (stdout);
}

#define RESUME_ENV "_CAPSA_BUILD_RESUME"

/* RUN puts processes of this program into containers: from a sealed copy (capsa/runtime.h),
 * made only when a step must run (a build all from the cache starts no copy). */
static int
seal (void *data, unsigned step, capsa_err **err)
{
  struct printer *p = data;
  char buf[16];
  snprintf (buf, sizeof buf, "%u", step);
  setenv (RESUME_ENV, buf, 1);
  cleanup_free char **same = cli_same_argv (p->g, p->g->argv[0]);
  return capsa_exe_sealed_reexec (same, err);
}

/* -t names, normalized as docker does (a missing tag is latest). */
static int
full_names (struct cli_global *g, char **tags, char ***out)
{
  for (char **t = tags; t && *t; t++)
    {
      struct capsa_ref r;
      capsa_err *err = NULL;
      if (capsa_ref_parse (*t, g->eng.default_registry, &r, &err) < 0)
        return cli_fail (&err);
      if (r.tag == NULL)
        {
          capsa_ref_free (&r);
          return cli_usage ("build", "-t %s: the image name must be NAME[:TAG], not a digest", *t);
        }
      cleanup_free char *full = capsa_ref_string (&r);
      capsa_ref_free (&r);
      capsa_strv_append (out, full);
    }
  return 0;
}

static int
read_stdin (char **text)
{
  size_t cap = 0, len = 0;
  char *buf = NULL;
  for (;;)
    {
      if (len + 4096 >= cap)
        {
          char *more = realloc (buf, cap = cap * 2 + 8192);
          if (more == NULL)
            {
              free (buf);
              return -1;
            }
          buf = more;
        }
      ssize_t n = read (0, buf + len, cap - len - 1);
      if (n <= 0)
        break;
      len += (size_t) n;
    }
  buf[len] = '\0';
  *text = buf;
  return 0;
}

static int
write_iid (const char *path, const char *id)
{
  FILE *f = fopen (path, "w");
  if (f == NULL || fprintf (f, "%s", id) < 0 || fclose (f) != 0)
    {
      perror (path);
      return CLI_EXIT_ERROR;
    }
  return 0;
}

static const char *
env_value (const char *name)
{
  return getenv (name);
}

/* The sealed copy at once: --no-cache runs every step (the copy would run them again), and stdin
 * (a tar context, -f -) can be read only once. */
static bool
early_seal (const struct build_flags *f, const char *context)
{
  return f->no_cache || strcmp (context, "-") == 0 || (f->file && strcmp (f->file, "-") == 0);
}

static volatile sig_atomic_t cancelled;

static void
on_signal (int sig)
{
  cancelled = sig;
}

/* SIGINT, SIGTERM, SIGHUP stop the build between steps (and kill a RUN: capsa_build), so that
 * what a step made is removed rather than left by a killed process. */
static void
catch_signals (void)
{
  struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
}

static int
run_build (struct cli_global *g, struct build_flags *f, const char *context, char **names)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_free char *text = NULL;
  char id[CAPSA_DIGEST_LEN + 1];
  capsa_err *err = NULL;
  struct capsa_build_opts o = { .context = context,
                                .dockerfile = f->file,
                                .tags = names,
                                .build_args = f->build_args,
                                .labels = f->labels,
                                .secrets = f->secrets,
                                .target = f->target,
                                .no_cache = f->no_cache,
                                .pull = f->pull,
                                .quiet = f->quiet,
                                .print = f->quiet ? NULL : print_out,
                                .out_fd = -1,
                                .env_lookup = env_value,
                                .before_run = early_seal (f, context) ? NULL : seal };
  const char *resume = getenv (RESUME_ENV);
  struct printer pr = { g, resume ? (unsigned) strtoul (resume, NULL, 10) : 0 };
  unsetenv (RESUME_ENV);
  o.print_data = &pr;
  o.cancel = &cancelled;
  catch_signals ();
  o.timings = f->progress ? strcmp (f->progress, "tty") == 0 || (strcmp (f->progress, "auto") == 0 && isatty (1))
                          : isatty (1);
  if (f->network && strcmp (f->network, "default") != 0)
    o.network = f->network;
  if (strcmp (context, "-") == 0 && f->file && strcmp (f->file, "-") == 0)
    return cli_usage ("build", "-f - and a context on stdin (-) cannot both be read");
  if (f->file && strcmp (f->file, "-") == 0)
    read_stdin (&text);
  o.context_fd = 0;
  o.dockerfile_text = text;
  if (f->quiet)
    o.out_fd = 2; /* RUN's output goes to stderr: stdout is the id alone */
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_build (&g->eng, s, &o, id, &err) < 0)
    return cli_fail (&err);
  printf ("%s\n", id);
  return f->iidfile ? write_iid (f->iidfile, id) : 0;
}

static void
flags_free (struct build_flags *f)
{
  char ***lists[] = { &f->tags, &f->build_args, &f->labels, &f->secrets };
  for (size_t i = 0; i < 4; i++)
    cleanup_strv_fn (lists[i]);
}

int
cmd_build (struct cli_global *g, int argc, char **argv)
{
  struct build_flags f __attribute__ ((cleanup (flags_free))) = { 0 };
  int first = cli_parse (&cli_spec_build, argc, argv, &f);
  cleanup_strv char **names = NULL;
  if (first <= 0)
    return -first;
  if (argc - first != 1)
    return cli_usage ("build", "requires exactly 1 argument (CONTEXT)");
  int r = full_names (g, f.tags, &names);
  if (r != 0)
    return r;
  capsa_err *err = NULL;
  struct printer none = { g, 0 };
  /* (capsa executed this program inside the rootless namespace: the engine learns of it) */
  if (capsa_engine_rootless_enter (&g->eng, &err) < 0)
    return cli_fail (&err);
  if (early_seal (&f, argv[first]) && seal (&none, 0, &err) < 0)
    return cli_fail (&err);
  return run_build (g, &f, argv[first], names);
}
