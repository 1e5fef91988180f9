/* The error convention is public: include/capsa/error.h. */
#include "capsa/error.h"
