/* Runtime log: see log.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "util.h"

static int log_fd = 2;
static enum capsa_log_format log_format = CAPSA_LOG_TEXT;
static bool log_debug;
static const char *log_program = "capsa";

static const char *const level_names[] = { "error", "warning", "info", "debug" };

int
capsa_log_init (const char *path, enum capsa_log_format format, bool debug, capsa_err **err)
{
  log_format = format;
  log_debug = debug;
  if (path && *path)
    {
      int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0)
        return capsa_fail (err, errno, "open log file `%s`", path);
      log_fd = fd;
    }
  return 0;
}

void
capsa_log_set_program (const char *name)
{
  log_program = name;
}

bool
capsa_log_debug_enabled (void)
{
  return log_debug;
}

bool
capsa_log_to_file (void)
{
  return log_fd != 2;
}

static char *
format_line (enum capsa_log_level level, const char *msg)
{
  char now[48];

  now_rfc3339 (now, sizeof now);
  if (log_format == CAPSA_LOG_JSON)
    {
      json_t *o = json_pack ("{s:s, s:s, s:s}", "level", level_names[level], "msg", msg, "time", now);
      char *s = o ? json_dumps (o, JSON_COMPACT) : NULL;
      json_decref (o);
      if (s == NULL)
        return NULL;
      char *line = xasprintf ("%s\n", s);
      free (s);
      return line;
    }
  if (log_fd == 2)
    return level == CAPSA_LOG_ERROR ? xasprintf ("%s: %s\n", log_program, msg)
                                    : xasprintf ("%s: %s: %s\n", log_program, level_names[level], msg);
  /* logrus text format; msg quoted with its quotes escaped */
  json_t *str = json_string (msg);
  char *q = str ? json_dumps (str, JSON_ENCODE_ANY) : NULL;
  json_decref (str);
  char *line = xasprintf ("time=\"%s\" level=%s msg=%s\n", now, level_names[level], q ? q : "\"\"");
  free (q);
  return line;
}

void
capsa_log (enum capsa_log_level level, const char *fmt, ...)
{
  int saved = errno;
  char *msg = NULL;
  va_list ap;

  if (level == CAPSA_LOG_DEBUG && !log_debug)
    return;
  if (log_fd == 2 && level > CAPSA_LOG_WARNING && !log_debug)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg)
    {
      char *line = format_line (level, msg);
      if (line)
        (void) write_all (log_fd, line, strlen (line));
      free (line);
      free (msg);
    }
  errno = saved;
}
