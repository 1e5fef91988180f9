/* The runtime log is public: include/capsa/log.h. */
#include "capsa/log.h"
