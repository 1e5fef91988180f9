/* What the library reads of the environment is public (front ends give it): include/capsa/hostenv.h. */
#include "capsa/hostenv.h"
