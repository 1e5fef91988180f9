/* The jansson helpers are public: include/capsa/json.h. */
#include "capsa/json.h"
