/* The attach protocol is public (front ends speak it): capsa/attach.h. */
#include "capsa/attach.h"
