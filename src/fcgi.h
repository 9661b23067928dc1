/*
 * The FastCGI side of a request: reading the parameters and body that nginx
 * sends into a struct request, and writing a struct response back.
 */
#ifndef TCCHAT_FCGI_H
#define TCCHAT_FCGI_H

#include <fcgiapp.h>

#include "http.h"

/* Fills `request` from `fcgi`, reading at most `body_limit` bytes of body
 * (a longer body is not read and marks the request body_too_large). */
void fcgi_read_request(FCGX_Request *fcgi, long body_limit, struct request *request);

/* Writes `response` and ends the request: closes its connection and frees
 * what libfcgi holds for it. */
void fcgi_respond(FCGX_Request *fcgi, const struct request *request, const struct response *response);

#endif
