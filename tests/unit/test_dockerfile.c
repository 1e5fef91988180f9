/* The Dockerfile parser, the word expander, .dockerignore patterns and COPY/ADD globs
 * (src/lib/build), on the behaviour the Dockerfile reference documents and moby implements. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dockerfile.h"
#include "fsops.h"
#include "util.h"

static void
parse_ok (const char *text, struct dockerfile *df)
{
  cleanup_err capsa_err *err = NULL;
  int r = df_parse (text, strlen (text), "Dockerfile", df, &err);
  if (r < 0)
    fail_msg ("df_parse: %s", err->msg);
}

static void
parse_fails (const char *text, const char *msg)
{
  cleanup_err capsa_err *err = NULL;
  struct dockerfile df = { 0 };
  int r = df_parse (text, strlen (text), "Dockerfile", &df, &err);
  if (r == 0)
    {
      df_free (&df);
      fail_msg ("df_parse accepted: %s", text);
    }
  assert_non_null (err);
  assert_string_equal (err->msg, msg);
}

static void
assert_args (const struct df_instr *in, ...)
{
  va_list ap;
  size_t i = 0;
  const char *want;

  va_start (ap, in);
  while ((want = va_arg (ap, const char *)))
    {
      assert_non_null (in->args[i]);
      assert_string_equal (in->args[i], want);
      i++;
    }
  va_end (ap);
  assert_null (in->args[i]);
}

static void
test_basic (void **state)
{
  (void) state;
  cleanup_dockerfile struct dockerfile df = { 0 };
  parse_ok ("FROM busybox\n\nrun echo hi\r\n  Cmd   [\"sh\", \"-c\", \"x\\\"y\"]  \n", &df);
  assert_int_equal (df.n, 3);
  assert_int_equal (df.escape, '\\');
  assert_null (df.syntax);
  assert_int_equal (df.instrs[0].kind, DF_FROM);
  assert_int_equal (df.instrs[0].line, 1);
  assert_args (&df.instrs[0], "busybox", NULL);
  assert_int_equal (df.instrs[1].kind, DF_RUN);
  assert_string_equal (df.instrs[1].keyword, "RUN");
  assert_int_equal (df.instrs[1].line, 3);
  assert_false (df.instrs[1].json);
  assert_args (&df.instrs[1], "echo hi", NULL);
  assert_string_equal (df.instrs[1].original, "run echo hi");
  assert_int_equal (df.instrs[2].kind, DF_CMD);
  assert_true (df.instrs[2].json);
  assert_args (&df.instrs[2], "sh", "-c", "x\"y", NULL);
}

static void
test_continuation (void **state)
{
  (void) state;
  cleanup_dockerfile struct dockerfile df = { 0 };
  parse_ok ("FROM busybox\n"
            "RUN echo a \\\n"
            "# a comment inside\n"
            "\n"
            "   \n"
            "    && echo b \\  \n"
            "  # another\n"
            "c\n"
            "# after\n"
            "USER 1000:1000\n",
            &df);
  assert_int_equal (df.n, 3);
  assert_int_equal (df.instrs[1].line, 2);
  assert_args (&df.instrs[1], "echo a     && echo b c", NULL);
  assert_int_equal (df.instrs[2].line, 10);
  assert_args (&df.instrs[2], "1000:1000", NULL);
}

static void
test_escape_directive (void **state)
{
  (void) state;
  cleanup_dockerfile struct dockerfile df = { 0 };
  /* the reference's Windows example: with ` as the escape, a `\` at the end is a plain character */
  parse_ok ("# escape=`\n"
            "\n"
            "FROM busybox\n"
            "COPY testfile.txt c:\\\n"
            "RUN dir c:\\ `\n"
            "  && echo done\n",
            &df);
  assert_int_equal (df.escape, '`');
  assert_int_equal (df.n, 3);
  assert_args (&df.instrs[1], "testfile.txt", "c:\\", NULL);
  assert_args (&df.instrs[2], "dir c:\\   && echo done", NULL);
  df_free (&df);

  parse_ok ("# syntax=docker/dockerfile:1\n#escape = `  \nFROM x\n", &df);
  assert_string_equal (df.syntax, "docker/dockerfile:1");
  assert_int_equal (df.escape, '`');
  df_free (&df);
  /* directives only before anything else: after a comment, after a blank line, they are comments */
  parse_ok ("# about\n# escape=`\nFROM x\n", &df);
  assert_int_equal (df.escape, '\\');
  df_free (&df);
  parse_ok ("\n# escape=`\nFROM x\n", &df);
  assert_int_equal (df.escape, '\\');
  df_free (&df);
  parse_ok ("FROM x\n# escape=`\nRUN a `\n", &df);
  assert_int_equal (df.escape, '\\');
  assert_args (&df.instrs[1], "a `", NULL);
  /* an unknown directive ends the directives */
  df_free (&df);
  parse_ok ("# unknowndirective=x\n# escape=`\nFROM x\n", &df);
  assert_int_equal (df.escape, '\\');
  parse_fails ("# escape=\\\n# escape=`\nFROM x\n", "Dockerfile:2: only one escape parser directive can be used");
  parse_fails ("# escape=x\nFROM x\n", "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
}

static void
test_env_label (void **state)
{
  (void) state;
  cleanup_dockerfile struct dockerfile df = { 0 };
  parse_ok ("FROM x\n"
            "ENV a=1 b=\"x y\" c=\\$d\\ e\n"
            "ENV MY_DOG Rex The   Dog\n"
            "LABEL \"com.example.vendor\"=\"ACME Incorporated\" version=1.0 \\\n"
            "      description=\"This text illustrates \\\n"
            "that label-values can span multiple lines.\"\n"
            "LABEL legacy value here\n",
            &df);
  assert_int_equal (df.instrs[1].kind, DF_ENV);
  assert_args (&df.instrs[1], "a", "1", "b", "\"x y\"", "c", "\\$d\\ e", NULL);
  assert_args (&df.instrs[2], "MY_DOG", "Rex The   Dog", NULL);
  assert_int_equal (df.instrs[3].kind, DF_LABEL);
  assert_args (&df.instrs[3], "\"com.example.vendor\"", "\"ACME Incorporated\"", "version", "1.0", "description",
               "\"This text illustrates that label-values can span multiple lines.\"", NULL);
  assert_args (&df.instrs[4], "legacy", "value here", NULL);
  parse_fails ("FROM x\nENV K\n", "Dockerfile:2: ENV must have two arguments");
  parse_fails ("FROM x\nLABEL a=1 b\n",
               "Dockerfile:2: LABEL: syntax error - can't find = in \"b\". Must be of the form: name=value");
  parse_fails ("FROM x\nENV =1\n", "Dockerfile:2: ENV names can not be blank");
  parse_fails ("FROM x\nENV\n", "Dockerfile:2: ENV requires at least one argument");
}

static void
test_arg_from (void **state)
{
  (void) state;
  cleanup_dockerfile struct dockerfile df = { 0 };
  parse_ok ("ARG VERSION=latest\n"
            "ARG A B=\"x y\"\n"
            "FROM --platform=linux/amd64 busybox:$VERSION aS Build\n"
            "FROM build\n",
            &df);
  assert_int_equal (df.instrs[0].kind, DF_ARG);
  assert_args (&df.instrs[0], "VERSION=latest", NULL);
  assert_args (&df.instrs[1], "A", "B=\"x y\"", NULL);
  assert_int_equal (df.instrs[2].kind, DF_FROM);
  assert_string_equal (df_flag (&df.instrs[2], "platform"), "linux/amd64");
  assert_null (df_flag (&df.instrs[2], "from"));
  assert_args (&df.instrs[2], "busybox:$VERSION", "aS", "Build", NULL);
  parse_fails ("FROM x\nFROM a AS\n", "Dockerfile:2: FROM requires either one or three arguments");
  parse_fails ("FROM a b c d\n", "Dockerfile:1: FROM requires either one or three arguments");
  parse_fails ("FROM a AS 1x\n", "Dockerfile:1: FROM: invalid name for build stage: \"1x\", name can't start with a "
                                 "number or contain symbols");
  parse_fails ("FROM\n", "Dockerfile:1: FROM requires either one or three arguments");
  parse_fails ("ARG x\nRUN true\nFROM x\n",
               "Dockerfile:2: RUN before any FROM (the first instruction other than ARG must be FROM)");
  parse_fails ("# only a comment\n", "Dockerfile: file with no instructions");
  parse_fails ("ARG A=1\n", "Dockerfile: no FROM instruction");
  parse_fails ("FROM x\nARG =1\n", "Dockerfile:2: ARG names can not be blank");
}

static void
test_copy_flags (void **state)
{
  (void) state;
  cleanup_dockerfile struct dockerfile df = { 0 };
  parse_ok ("FROM x\n"
            "COPY --from=build --chown=1:1 --chmod=755 a \"b c\" /dst/\n"
            "COPY [\"a b\", \"/dst/\"]\n"
            "ADD --link --checksum=sha256:00 https://example.com/x /x\n"
            "COPY --link=false a b\n",
            &df);
  const struct df_instr *c = &df.instrs[1];
  assert_string_equal (df_flag (c, "from"), "build");
  assert_string_equal (df_flag (c, "chown"), "1:1");
  assert_string_equal (df_flag (c, "chmod"), "755");
  assert_int_equal (c->nflags, 3);
  assert_false (c->json);
  assert_args (c, "a", "\"b c\"", "/dst/", NULL);
  assert_true (df.instrs[2].json);
  assert_args (&df.instrs[2], "a b", "/dst/", NULL);
  assert_string_equal (df_flag (&df.instrs[3], "link"), "");
  assert_string_equal (df_flag (&df.instrs[3], "checksum"), "sha256:00");
  assert_string_equal (df_flag (&df.instrs[4], "link"), "false");
  parse_fails ("FROM x\n\nCOPY --frm=a b c\n", "Dockerfile:3: COPY: unknown flag: --frm");
  parse_fails ("FROM x\nADD --from=a b c\n", "Dockerfile:2: ADD: unknown flag: --from");
  parse_fails ("FROM x\nCOPY --from a b\n", "Dockerfile:2: COPY: missing a value on flag: --from");
  parse_fails ("FROM x\nCOPY --from=a --from=b c d\n", "Dockerfile:2: COPY: duplicate flag specified: --from");
  parse_fails ("FROM x\nCOPY --link=yes c d\n",
               "Dockerfile:2: COPY: expecting boolean value for flag --link, not: yes");
  parse_fails ("FROM x\nCOPY a\n", "Dockerfile:2: COPY requires at least two arguments, but only one was provided. "
                                   "Destination could not be determined");
  parse_fails ("FROM x\nENV --x=1 a=b\n", "Dockerfile:2: ENV: unknown flag: --x");
  parse_fails ("FROM --plat=x y\n", "Dockerfile:1: FROM: unknown flag: --plat");
}

static void
test_run_mount (void **state)
{
  (void) state;
  cleanup_dockerfile struct dockerfile df = { 0 };
  parse_ok ("FROM x\n"
            "RUN --mount=type=cache,target=/root/.cache \\\n"
            "    --mount=type=secret,id=tok --network=none \\\n"
            "    make\n",
            &df);
  const struct df_instr *r = &df.instrs[1];
  cleanup_free const char **m = df_flags_all (r, "mount");
  assert_string_equal (m[0], "type=cache,target=/root/.cache");
  assert_string_equal (m[1], "type=secret,id=tok");
  assert_null (m[2]);
  assert_string_equal (df_flag (r, "mount"), "type=secret,id=tok");
  assert_string_equal (df_flag (r, "network"), "none");
  assert_args (r, "make", NULL);
  cleanup_free const char **none = df_flags_all (r, "security");
  assert_null (none[0]);
  parse_fails ("FROM x\nRUN --network=a --network=b x\n", "Dockerfile:2: RUN: duplicate flag specified: --network");
  parse_fails ("FROM x\nRUN\n", "Dockerfile:2: RUN requires at least one argument");
  df_free (&df);
  parse_ok ("FROM x\nCMD\nENTRYPOINT \n", &df);
  assert_true (df.instrs[1].json && df.instrs[2].json);
  assert_args (&df.instrs[1], NULL);
  assert_args (&df.instrs[2], NULL);
}

static void
test_json_forms (void **state)
{
  (void) state;
  cleanup_dockerfile struct dockerfile df = { 0 };
  parse_ok ("FROM x\n"
            "RUN [ -f /etc/passwd ] && echo ok\n"
            "ENTRYPOINT [\"/bin/echo\", \"\\u00e9\\n\"]\n"
            "CMD [\"a\"] trailing\n"
            "CMD []\n"
            "RUN [\"unterminated\"\n"
            "SHELL [\"/bin/bash\", \"-c\"]\n"
            "VOLUME [\"/data\", \"/logs\"]\n"
            "VOLUME /a /b\n"
            "EXPOSE 80/tcp 53/udp\n",
            &df);
  assert_false (df.instrs[1].json);
  assert_args (&df.instrs[1], "[ -f /etc/passwd ] && echo ok", NULL);
  assert_true (df.instrs[2].json);
  assert_args (&df.instrs[2], "/bin/echo", "\xc3\xa9\n", NULL);
  assert_true (df.instrs[3].json); /* Go's json.Decoder reads the first value only */
  assert_args (&df.instrs[3], "a", NULL);
  assert_true (df.instrs[4].json);
  assert_args (&df.instrs[4], NULL);
  assert_false (df.instrs[5].json);
  assert_args (&df.instrs[5], "[\"unterminated\"", NULL);
  assert_args (&df.instrs[6], "/bin/bash", "-c", NULL);
  assert_true (df.instrs[7].json);
  assert_args (&df.instrs[7], "/data", "/logs", NULL);
  assert_args (&df.instrs[8], "/a", "/b", NULL);
  assert_args (&df.instrs[9], "80/tcp", "53/udp", NULL);
  parse_fails ("FROM x\nRUN [\"a\", 1]\n",
               "Dockerfile:2: RUN: when using JSON array syntax, arrays must be comprised of strings only");
  parse_fails ("FROM x\nSHELL /bin/sh -c\n", "Dockerfile:2: SHELL requires the arguments to be in JSON form");
  parse_fails ("FROM x\nSHELL []\n", "Dockerfile:2: SHELL requires at least one argument");
  parse_fails ("FROM x\nVOLUME [\" \"]\n", "Dockerfile:2: VOLUME specified can not be an empty string");
  parse_fails ("FROM x\nEXPOSE\n", "Dockerfile:2: EXPOSE requires at least one argument");
  parse_fails ("FROM x\nUSER\n", "Dockerfile:2: USER requires exactly one argument");
}

static void
test_onbuild (void **state)
{
  (void) state;
  cleanup_dockerfile struct dockerfile df = { 0 };
  parse_ok ("FROM x\nonbuild  COPY --from=b . /app/src\nONBUILD RUN [\"make\"]\n", &df);
  const struct df_instr *o = &df.instrs[1];
  assert_int_equal (o->kind, DF_ONBUILD);
  assert_non_null (o->sub);
  assert_int_equal (o->sub->kind, DF_COPY);
  assert_string_equal (df_flag (o->sub, "from"), "b");
  assert_args (o->sub, ".", "/app/src", NULL);
  assert_string_equal (o->trigger_text, "COPY --from=b . /app/src");
  assert_string_equal (o->original, "onbuild  COPY --from=b . /app/src");
  assert_true (df.instrs[2].sub->json);
  parse_fails ("FROM x\nONBUILD ONBUILD RUN x\n", "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  parse_fails ("FROM x\nONBUILD from y\n", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger");
  parse_fails ("FROM x\nONBUILD\n", "Dockerfile:2: ONBUILD requires at least one argument");
  parse_fails ("FROM x\nONBUILD FORM y\n", "Dockerfile:2: unknown instruction: FORM");
}

static void
test_healthcheck (void **state)
{
  (void) state;
  cleanup_dockerfile struct dockerfile df = { 0 };
  parse_ok ("FROM x\n"
            "HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --retries=3 \\\n"
            "  CMD curl -f http://localhost/ || exit 1\n"
            "HEALTHCHECK none\n"
            "HEALTHCHECK CMD [\"/bin/check\", \"-q\"]\n",
            &df);
  const struct df_instr *h = &df.instrs[1];
  assert_false (h->health_none);
  assert_false (h->json);
  assert_string_equal (df_flag (h, "interval"), "5m");
  assert_string_equal (df_flag (h, "start-period"), "1m30s");
  assert_string_equal (df_flag (h, "retries"), "3");
  assert_args (h, "curl -f http://localhost/ || exit 1", NULL);
  assert_true (df.instrs[2].health_none);
  assert_args (&df.instrs[2], NULL);
  assert_true (df.instrs[3].json);
  assert_args (&df.instrs[3], "/bin/check", "-q", NULL);
  parse_fails ("FROM x\nHEALTHCHECK NONE x\n", "Dockerfile:2: HEALTHCHECK NONE takes no arguments");
  parse_fails ("FROM x\nHEALTHCHECK CMD\n", "Dockerfile:2: Missing command after HEALTHCHECK CMD");
  parse_fails ("FROM x\nHEALTHCHECK CMD []\n", "Dockerfile:2: Missing command after HEALTHCHECK CMD");
  parse_fails ("FROM x\nHEALTHCHECK RUN x\n", "Dockerfile:2: Unknown type \"RUN\" in HEALTHCHECK (try CMD)");
  parse_fails ("FROM x\nHEALTHCHECK --retries=-1 CMD x\n",
               "Dockerfile:2: HEALTHCHECK: --retries must be a number, 0 or more: \"-1\"");
  parse_fails ("FROM x\nHEALTHCHECK --interval=5 CMD x\n",
               "Dockerfile:2: HEALTHCHECK: --interval: invalid duration \"5\"");
  parse_fails ("FROM x\nHEALTHCHECK --start=5s CMD x\n", "Dockerfile:2: HEALTHCHECK: unknown flag: --start");
  parse_fails ("FROM x\nHEALTHCHECK\n", "Dockerfile:2: HEALTHCHECK requires at least one argument");
}

static void
test_bad (void **state)
{
  (void) state;
  parse_fails ("FROM x\nRUN a\nRUN b\n\n# c\nRUN d\nFORM y\n", "Dockerfile:7: unknown instruction: FORM");
  parse_fails ("FROM x\nrun-it y\n", "Dockerfile:2: unknown instruction: RUN-IT");
  parse_fails ("RUN x\n", "Dockerfile:1: RUN before any FROM (the first instruction other than ARG must be FROM)");
  cleanup_err capsa_err *err = NULL;
  struct dockerfile df = { 0 };
  assert_int_equal (df_parse ("FROM x\nBAD\n", 11, "sub/Containerfile", &df, &err), -1);
  assert_string_equal (err->msg, "sub/Containerfile:2: unknown instruction: BAD");
  capsa_err_free (&err);
  assert_int_equal (df_parse ("FROM x\nBAD\n", 11, "-", &df, &err), -1);
  assert_string_equal (err->msg, "Dockerfile:2: unknown instruction: BAD");
}

/* ---- the expander ---- */

static const char *const env[] = { "FOO", "/bar", "EMPTY", "", "X", "a b", "1", "one", NULL };

static const char *
lookup (void *data, const char *name)
{
  (void) data;
  for (size_t i = 0; env[i]; i += 2)
    if (strcmp (env[i], name) == 0)
      return env[i + 1];
  return NULL;
}

static void
expands_esc (const char *word, char esc, const char *want)
{
  cleanup_err capsa_err *err = NULL;
  cleanup_free char *out = NULL;
  if (df_expand_word (word, esc, lookup, NULL, &out, &err) < 0)
    fail_msg ("expand `%s`: %s", word, err->msg);
  if (strcmp (out, want) != 0)
    fail_msg ("expand `%s`: `%s`, want `%s`", word, out, want);
}

static void
expands (const char *word, const char *want)
{
  expands_esc (word, '\\', want);
}

static void
expand_fails (const char *word, const char *msg)
{
  cleanup_err capsa_err *err = NULL;
  char *out = NULL;
  if (df_expand_word (word, '\\', lookup, NULL, &out, &err) == 0)
    fail_msg ("expand `%s` gave `%s`", word, out);
  assert_string_equal (err->msg, msg);
}

static void
test_expand (void **state)
{
  (void) state;
  /* the reference's environment replacement examples */
  expands ("${FOO}/baz", "/bar/baz");
  expands ("$FOO", "/bar");
  expands ("\\$FOO", "$FOO");
  expands ("${FOO:-word}", "/bar");
  expands ("${NOPE:-word}", "word");
  expands ("${EMPTY:-word}", "word");
  expands ("${EMPTY-word}", "");
  expands ("${NOPE-word}", "word");
  expands ("${FOO:+word}", "word");
  expands ("${EMPTY:+word}", "");
  expands ("${EMPTY+word}", "word");
  expands ("${NOPE+word}", "");
  expands ("${NOPE:-${FOO}/x}", "/bar/x");
  expands ("${NOPE:-\"a b\"}", "a b");
  expands ("${NOPE:-a\\}b}", "a}b");
  expands ("'$FOO x'", "$FOO x");
  expands ("\"$FOO x\"", "/bar x");
  expands ("\"\\$FOO \\\" \\\\ \\a\"", "$FOO \" \\ \\a");
  expands ("a\\ b\\\"c", "a b\"c");
  expands ("$", "$");
  expands ("a$ b", "a$ b");
  expands ("$NOPE.x", ".x");
  expands ("$1$FOO", "one/bar");
  expands ("${X}", "a b");
  expands ("x\\", "x");
  expands ("${FOO:?need it}", "/bar");
  expands_esc ("a`$FOO \\$FOO `\"", '`', "a$FOO \\/bar \"");
  expands_esc ("\"c:\\dir `\"x`\"\"", '`', "c:\\dir \"x\"");
  expand_fails ("\"abc", "unexpected end of statement while looking for matching double-quote");
  expand_fails ("'abc", "unexpected end of statement while looking for matching single-quote");
  expand_fails ("${FOO", "syntax error: missing '}'");
  expand_fails ("${NOPE:-abc", "syntax error: missing '}'");
  expand_fails ("${}", "syntax error: bad substitution");
  expand_fails ("${:-x}", "syntax error: bad substitution");
  expand_fails ("${NOPE:?must be set}", "NOPE: must be set");
  expand_fails ("${NOPE?}", "NOPE: is not allowed to be unset");
  expand_fails ("${EMPTY:?}", "EMPTY: is not allowed to be empty");
  expand_fails ("${FOO/a/b}", "unsupported modifier (/) in substitution");
}

/* ---- .dockerignore ---- */

static struct df_ignore *
ignore (const char *text)
{
  cleanup_err capsa_err *err = NULL;
  struct df_ignore *ig = NULL;
  if (df_ignore_parse (text, strlen (text), &ig, &err) < 0)
    fail_msg ("df_ignore_parse: %s", err->msg);
  return ig;
}

static void
test_ignore (void **state)
{
  (void) state;
  /* the reference's example */
  struct df_ignore *ig = ignore ("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
  assert_true (df_ignore_excluded (ig, "somedir/temporary.txt"));
  assert_true (df_ignore_excluded (ig, "somedir/temp"));
  assert_true (df_ignore_excluded (ig, "somedir/subdir/temporary.txt"));
  assert_true (df_ignore_excluded (ig, "tempa"));
  assert_false (df_ignore_excluded (ig, "tempab"));
  assert_false (df_ignore_excluded (ig, "temp"));
  assert_false (df_ignore_excluded (ig, "# comment"));
  assert_false (df_ignore_excluded (ig, "a/b/c/temp"));
  assert_true (df_ignore_excluded (ig, "somedir/temp/below")); /* a parent matches */
  assert_false (df_ignore_has_exceptions (ig));
  df_ignore_free (ig);

  ig = ignore ("**/*.go\n");
  assert_true (df_ignore_excluded (ig, "a.go"));
  assert_true (df_ignore_excluded (ig, "x/y/z.go"));
  assert_false (df_ignore_excluded (ig, "x/y/z.gox"));
  df_ignore_free (ig);

  ig = ignore ("*.md\n!README*.md\nREADME-secret.md\n");
  assert_true (df_ignore_excluded (ig, "a.md"));
  assert_false (df_ignore_excluded (ig, "README.md"));
  assert_false (df_ignore_excluded (ig, "README-x.md"));
  assert_true (df_ignore_excluded (ig, "README-secret.md"));
  assert_false (df_ignore_excluded (ig, "dir/a.md"));
  assert_true (df_ignore_has_exceptions (ig));
  df_ignore_free (ig);

  ig = ignore ("\xef\xbb\xbf/a//b/./\r\n  dir  \n\n  # not a comment: a pattern\nfoo/**\na/**/z\n");
  assert_true (df_ignore_excluded (ig, "a/b"));
  assert_true (df_ignore_excluded (ig, "a/b/c"));
  assert_false (df_ignore_excluded (ig, "a/bc"));
  assert_true (df_ignore_excluded (ig, "dir/x/y"));
  assert_false (df_ignore_excluded (ig, "dirx"));
  assert_true (df_ignore_excluded (ig, "foo/x"));
  assert_false (df_ignore_excluded (ig, "foo"));
  assert_true (df_ignore_excluded (ig, "a/z"));
  assert_true (df_ignore_excluded (ig, "a/x/y/z"));
  df_ignore_free (ig);

  ig = ignore ("*\n!keep\n!src/**/*.c\n[a-c]?.txt\n");
  assert_true (df_ignore_excluded (ig, "x"));
  assert_false (df_ignore_excluded (ig, "keep"));
  assert_false (df_ignore_excluded (ig, "src/a/b.c"));
  assert_true (df_ignore_excluded (ig, "src/a/b.h"));
  assert_true (df_ignore_excluded (ig, "b1.txt"));
  df_ignore_free (ig);

  ig = ignore ("\\*.txt\n");
  assert_true (df_ignore_excluded (ig, "*.txt"));
  assert_false (df_ignore_excluded (ig, "a.txt"));
  df_ignore_free (ig);
  assert_false (df_ignore_excluded (NULL, "x"));

  cleanup_err capsa_err *err = NULL;
  assert_int_equal (df_ignore_parse ("a\n!\n", 4, &ig, &err), -1);
  assert_string_equal (err->msg, "line 2: illegal exclusion pattern: \"!\"");
  capsa_err_free (&err);
  assert_int_equal (df_ignore_parse ("[a-\n", 4, &ig, &err), -1);
  assert_string_equal (err->msg, "line 1: syntax error in pattern `[a-`");
}

/* ---- COPY sources ---- */

static void
touch (int dfd, const char *path)
{
  int fd = openat (dfd, path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  assert_true (fd >= 0);
  close (fd);
}

static int
make_context (char *dir)
{
  assert_non_null (mkdtemp (dir));
  int fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (fd >= 0 && dfd >= 0);
  assert_int_equal (mkdirat (dfd, "dir", 0755), 0);
  assert_int_equal (mkdirat (dfd, "dir/sub", 0755), 0);
  const char *files[] = { "a.txt", "b.txt", "c.md", ".hidden.txt", "dir/x.txt", "dir/sub/y.txt", "weird*name" };
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    touch (dfd, files[i]);
  assert_int_equal (symlinkat ("/etc", dfd, "link"), 0);
  assert_int_equal (symlinkat ("../../..", dfd, "dir/up"), 0);
  close (dfd);
  return fd;
}

static void
globs (int ctx, const char *pattern, const struct df_ignore *ig, ...)
{
  cleanup_err capsa_err *err = NULL;
  cleanup_strv char **out = NULL;
  va_list ap;
  const char *want;
  size_t i = 0;

  if (df_glob (ctx, pattern, ig, &out, &err) < 0)
    fail_msg ("df_glob `%s`: %s", pattern, err->msg);
  va_start (ap, ig);
  while ((want = va_arg (ap, const char *)))
    {
      if (out[i] == NULL || strcmp (out[i], want) != 0)
        fail_msg ("df_glob `%s`: [%zu] is `%s`, want `%s`", pattern, i, out[i] ? out[i] : "(end)", want);
      i++;
    }
  va_end (ap);
  if (out[i])
    fail_msg ("df_glob `%s`: more than wanted: `%s`", pattern, out[i]);
}

static void
glob_fails (int ctx, const char *pattern, const struct df_ignore *ig, const char *msg)
{
  cleanup_err capsa_err *err = NULL;
  char **out = NULL;
  if (df_glob (ctx, pattern, ig, &out, &err) == 0)
    fail_msg ("df_glob `%s` matched `%s`", pattern, out[0]);
  assert_string_equal (err->msg, msg);
}

static void
test_glob (void **state)
{
  (void) state;
  char dir[] = "/tmp/capsa-test-glob-XXXXXX";
  cleanup_close int ctx = make_context (dir);
  struct df_ignore *ig = ignore ("*.md\ndir/sub\n");

  globs (ctx, "*.txt", NULL, ".hidden.txt", "a.txt", "b.txt", NULL);
  globs (ctx, "[ab].txt", NULL, "a.txt", "b.txt", NULL);
  globs (ctx, "?.t*", NULL, "a.txt", "b.txt", NULL);
  globs (ctx, "/dir/*", NULL, "dir/sub", "dir/up", "dir/x.txt", NULL);
  globs (ctx, "./dir/*/y.txt", NULL, "dir/sub/y.txt", NULL);
  globs (ctx, "*/*.txt", NULL, "dir/x.txt", NULL);
  globs (ctx, "a.txt", NULL, "a.txt", NULL);
  globs (ctx, "dir/../a.txt", NULL, "a.txt", NULL);
  globs (ctx, "dir//x.txt", NULL, "dir/x.txt", NULL);
  globs (ctx, "weird\\*name", NULL, "weird*name", NULL);
  globs (ctx, ".", NULL, ".", NULL);
  globs (ctx, "/", ig, ".", NULL);
  globs (ctx, "link", NULL, "link", NULL);
  globs (ctx, "*", ig, ".hidden.txt", "a.txt", "b.txt", "dir", "link", "weird*name", NULL);
  globs (ctx, "dir/*", ig, "dir/up", "dir/x.txt", NULL);
  /* dir/up is ../../..: resolved inside the context, it is the context */
  globs (ctx, "dir/up/a.txt", NULL, "dir/up/a.txt", NULL);
  glob_fails (ctx, "c.md", ig, "file not found in build context or excluded by .dockerignore: c.md");
  glob_fails (ctx, "missing", NULL, "file not found in build context or excluded by .dockerignore: missing");
  glob_fails (ctx, "a.txt/x", NULL, "file not found in build context or excluded by .dockerignore: a.txt/x");
  glob_fails (ctx, "*.none", NULL,
              "no source files were specified: nothing in the build context matches `*.none` (or .dockerignore "
              "excludes it)");
  glob_fails (ctx, "../x", NULL, "forbidden path outside the build context: ../x");
  glob_fails (ctx, "dir/../../x", NULL, "forbidden path outside the build context: dir/../../x");
  glob_fails (ctx, "[a-", NULL, "[a-: syntax error in pattern");
  /* link -> /etc: looked up inside the context, where there is no etc/passwd */
  glob_fails (ctx, "link/passwd", NULL, "file not found in build context or excluded by .dockerignore: link/passwd");
  /* a wildcard does not lead through a symlink (a literal component does, inside the context) */
  glob_fails (ctx, "dir/*/a.txt", NULL,
              "no source files were specified: nothing in the build context matches `dir/*/a.txt` (or .dockerignore "
              "excludes it)");
  glob_fails (ctx, "link/*", NULL,
              "no source files were specified: nothing in the build context matches `link/*` (or .dockerignore "
              "excludes it)");
  df_ignore_free (ig);
  /* an excluded directory with an exception below it stays (what is below is filtered later) */
  ig = ignore ("dir\n!dir/sub/y.txt\n");
  globs (ctx, "dir", ig, "dir", NULL);
  globs (ctx, "dir/sub", ig, "dir/sub", NULL);
  globs (ctx, "dir/sub/y.txt", ig, "dir/sub/y.txt", NULL);
  glob_fails (ctx, "dir/x.txt", ig, "file not found in build context or excluded by .dockerignore: dir/x.txt");
  df_ignore_free (ig);
  cleanup_err capsa_err *err = NULL;
  assert_int_equal (fs_rm_rf (dir, &err), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_basic),       cmocka_unit_test (test_continuation), cmocka_unit_test (test_escape_directive),
    cmocka_unit_test (test_env_label),   cmocka_unit_test (test_arg_from),     cmocka_unit_test (test_copy_flags),
    cmocka_unit_test (test_run_mount),   cmocka_unit_test (test_json_forms),   cmocka_unit_test (test_onbuild),
    cmocka_unit_test (test_healthcheck), cmocka_unit_test (test_bad),          cmocka_unit_test (test_expand),
    cmocka_unit_test (test_ignore),      cmocka_unit_test (test_glob),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
