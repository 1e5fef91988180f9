/* The front ends' global options are public: include/capsa/global_opts.h. */
#include "capsa/global_opts.h"
