/* ROOT/events.log's writing side (eventlog.c), shared by the engine (ctr_events.c: the reading
 * side, the filters, the container events) and the image store (its tag, untag, delete, pull...). */
#ifndef CAPSA_EVENTLOG_H
#define CAPSA_EVENTLOG_H

#include <jansson.h>

#define EVENTLOG_ROTATE_BYTES (1LL << 20)

/* The size past which events.log is renamed to events.log.1 (changed by the unit tests). */
extern long long eventlog_rotate_bytes;

/* root/events SUFFIX (".log", ".log.1", ".lock"); owned. */
char *eventlog_path (const char *root, const char *suffix);

/* Append one event in docker's shape (type container, image, network, volume; attributes
 * borrowed, may be NULL) to root/events.log; an event that cannot be written is lost. */
void eventlog_append (const char *root, const char *type, const char *action, const char *id, json_t *attributes);

#endif
