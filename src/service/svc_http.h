/* http.c's callbacks for libmicrohttpd (main.c starts the daemon with them). */
#ifndef CAPSA_SVC_HTTP_H
#define CAPSA_SVC_HTTP_H

#include "svc.h"

enum MHD_Result svc_access (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                            const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls);
void svc_completed (void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode code);
/* The status of an engine error's errno (svc_reply_capsa_err). */
unsigned svc_status_of_errno (int e);

#endif
