/* capsa — the library's public API: what a front end (src/oci, src/cli, the Docker API service)
 * may include and call.  The front ends include only these headers and their own folder's.
 *
 *   capsa/error.h    the error convention (capsa_err): read it first
 *   capsa/cleanup.h  scope-based cleanup (cleanup_free, cleanup_close...) and take_fd/take_ptr
 *   capsa/json.h     small jansson helpers (cleanup_json, jstr, json_merge_sections...)
 *   capsa/util.h     the few helpers front ends share with the library (capsa_xasprintf...)
 *   capsa/log.h      the runtime log (--log, --log-format, --debug)
 *   capsa/runtime.h  the OCI runtime: create, start, run, exec, kill, delete, state...
 *   capsa/image.h    the image store: images, references, pull and push, archives, roots
 *   capsa/options.h  option tables: one per command drives its parsing and --help
 *   capsa/net.h      networks: bridges, NAT, published ports, the etc files of a container
 *   capsa/attach.h   the attach socket protocol of a container's monitor
 *   capsa/engine.h   the container engine (containers as docker keeps them), for capsa and the
 *                    Docker API service
 *
 * Invariants, for every function of these headers:
 * - Every exported function is named capsa_*; types are struct capsa_* / enum capsa_*.  A
 *   shared build exports exactly those (scripts/check-boundary.sh links the front ends against
 *   it), so a front end that calls anything else fails to link.  Header-only helpers (static
 *   inline functions and macros: cleanup_*, take_fd, cleanup_json...) are no symbols and keep
 *   their short names.
 * - A function that can fail takes `capsa_err **err` last and returns a negative value (error.h);
 *   the library never prints (except the runtime log, log.h) and never exits.
 * - Strings and arrays returned through out-parameters are owned by the caller (free, or the
 *   documented _free function) unless the comment says "borrowed" or "static".
 * - jansson's json_t is part of the API: states, specs, image configs and the image index are
 *   JSON documents and are handed over as json_t (runc's and docker's output is that JSON).  A
 *   json_t returned through an out-parameter is a new reference (json_decref it, cleanup_json);
 *   one returned by value is a new reference unless the comment says "borrowed"; a json_t
 *   argument is borrowed.  Front ends link jansson themselves.
 * - Every fd the library opens is O_CLOEXEC.
 *
 * The library is built with -fvisibility=hidden: only functions marked CAPSA_PUBLIC are exported.
 * Internal helpers shared between library files carry a module prefix (cfg_, mnt_, ns_, ...) and
 * are declared in the module's own header under src/lib.
 */
#ifndef CAPSA_H
#define CAPSA_H

#define CAPSA_PUBLIC __attribute__ ((visibility ("default")))

/* The runtime-spec version capsa implements. */
#define CAPSA_OCI_VERSION "1.2.0"

#endif
