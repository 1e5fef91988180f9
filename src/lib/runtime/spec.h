/* The container default spec and features API is public: include/capsa/runtime.h. */
#include "capsa/runtime.h"
