/* The container lifecycle API is public: include/capsa/runtime.h.  The typed config that
 * capsa_create_opts.config may carry is the library's (config.h). */
#include "capsa/runtime.h"
#include "config.h"
