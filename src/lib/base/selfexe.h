/* The container sealed-copy protection API is public: include/capsa/runtime.h. */
#include "capsa/runtime.h"
