/* The scope-cleanup attributes are public: include/capsa/cleanup.h. */
#include "capsa/cleanup.h"
