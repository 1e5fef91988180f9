/* The fault-injection points are public (front ends set them up): include/capsa/fault.h. */
#include "capsa/fault.h"
