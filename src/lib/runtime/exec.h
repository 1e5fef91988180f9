/* The container exec API is public: include/capsa/runtime.h. */
#include "capsa/runtime.h"
