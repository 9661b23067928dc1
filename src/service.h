/*
 * The service endpoints, served without a token: GET /healthz (can this
 * worker reach the database) and GET /metrics (nginx lets only loopback
 * clients reach it).
 */
#ifndef TCCHAT_SERVICE_H
#define TCCHAT_SERVICE_H

#include "handler.h"

handler_fn service_health;
handler_fn service_metrics;

#endif
