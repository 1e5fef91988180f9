/* The image reference API is public: include/capsa/image.h. */
#include "capsa/image.h"
