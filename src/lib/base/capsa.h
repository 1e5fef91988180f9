/* CAPSA_PUBLIC and the API's overview are public: include/capsa/capsa.h. */
#include "capsa/capsa.h"
