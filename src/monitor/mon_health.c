/* When a container's healthchecks are due (mon.h): the monitor's, and a foreground run's
 * (src/engine/ctr_health.c), which make each check with `capsa __monitor health`. */
#include "mon.h"

void
mon_health_begin (struct mon_health *h)
{
  h->started = monotonic_ms ();
  h->starting = true;
  h->kill_at = 0;
  /* docker 20.10: the first check an interval after the start (docker 25: the start interval) */
  h->next = h->started + h->start_interval;
}

void
mon_health_done (struct mon_health *h, int code)
{
  long long now = monotonic_ms ();
  h->pid = 0;
  if (code == 0 || code == 1)
    h->starting = false;
  bool early = h->starting && now - h->started < h->start_period;
  h->next = now + (early ? h->start_interval : h->interval);
}
