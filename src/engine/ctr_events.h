/* The event log's private knob (ctr_events.c), for the unit tests: the size past which
 * ROOT/events.log is renamed to events.log.1 (CTR_EVENTS_ROTATE_BYTES unless changed). */
#ifndef CAPSA_CTR_EVENTS_H
#define CAPSA_CTR_EVENTS_H

#include "eventlog.h"

#define CTR_EVENTS_ROTATE_BYTES EVENTLOG_ROTATE_BYTES
#define ctr_events_rotate_bytes eventlog_rotate_bytes

struct capsa_engine;
struct ctr;
/* A container event's attributes: its labels, image and name (new reference). */
json_t *ctr_event_attrs (const struct ctr *c);
/* capsa_ctr_event of container id (loaded for its attributes; nothing when it is gone). */
void ctr_event_by_id (struct capsa_engine *e, const char *id, const char *action, const char *key, const char *value);

#endif
