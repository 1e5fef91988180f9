/* Runtime log: the --log file in text (logrus-like) or json (one object per line) format.
 * Only the command layer decides what to log; library code returns errors instead.
 * Without --log, messages at warning level and above go to stderr. */
#ifndef CAPSA_LOG_H
#define CAPSA_LOG_H

#include <stdbool.h>

#include "capsa/capsa.h"
#include "capsa/error.h"

enum capsa_log_level
{
  CAPSA_LOG_ERROR = 0,
  CAPSA_LOG_WARNING,
  CAPSA_LOG_INFO,
  CAPSA_LOG_DEBUG,
};

enum capsa_log_format
{
  CAPSA_LOG_TEXT = 0,
  CAPSA_LOG_JSON,
};

/* Open the log (path NULL: stderr).  The file is opened O_APPEND|O_CLOEXEC. */
CAPSA_PUBLIC int capsa_log_init (const char *path, enum capsa_log_format format, bool debug, capsa_err **err);
CAPSA_PUBLIC void capsa_log (enum capsa_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
CAPSA_PUBLIC bool capsa_log_debug_enabled (void);
/* The name that prefixes messages written to stderr in text ("capsa-oci: ..."). */
CAPSA_PUBLIC void capsa_log_set_program (const char *name);
/* true when messages go to a file (not stderr) */
CAPSA_PUBLIC bool capsa_log_to_file (void);

#endif
