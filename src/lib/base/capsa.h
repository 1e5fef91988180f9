/* capsa — public definitions shared by the library and its command layers.
 *
 * The library is built with -fvisibility=hidden: only functions marked CAPSA_PUBLIC (all of them
 * prefixed capsa_) are exported.  Internal helpers shared between library files carry a module
 * prefix (cfg_, mnt_, ns_, ...) and are declared in the module's own header.
 */
#ifndef CAPSA_H
#define CAPSA_H

#define CAPSA_PUBLIC __attribute__ ((visibility ("default")))

#define CAPSA_OCI_VERSION "1.2.0"

#endif
