/*
 * The worker process: reads its configuration once, then serves FastCGI
 * requests one at a time on the socket spawn-fcgi hands it (fd 0), each
 * through the router, with one log line per request. A stop signal lets
 * the request in flight finish before the worker exits.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "fcgi.h"
#include "ids.h"
#include "log.h"
#include "metrics.h"
#include "router.h"

static volatile sig_atomic_t stop_requested;

/* The signals that ask a worker to stop: SIGTERM from systemd, SIGINT from
 * a terminal, SIGUSR1 from multiwatch's graceful shutdown. */
static const int stop_signals[] = {SIGTERM, SIGINT, SIGUSR1};

/* The stop signals are unblocked only around accept(): closing the
 * listening socket (spawn-fcgi's fd 0) makes an accept() that has not
 * started yet fail at once, where the flag alone would be read too late
 * and the worker would wait for one more connection. */
static void on_stop_signal(int signal_number)
{
	(void)signal_number;
	int saved_errno = errno;
	stop_requested = 1;
	FCGX_ShutdownPending();
	close(0);
	errno = saved_errno;
}

/* Installs the stop handlers without SA_RESTART, so that a worker waiting
 * in accept() returns from it, and fills `set` with the stop signals. */
static void signals_install(sigset_t *set)
{
	struct sigaction action = {0};
	action.sa_handler = on_stop_signal;
	sigemptyset(&action.sa_mask);
	sigemptyset(set);
	for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++) {
		sigaction(stop_signals[i], &action, NULL);
		sigaddset(set, stop_signals[i]);
	}
	signal(SIGPIPE, SIG_IGN);
}

static double elapsed_ms(const struct timespec *start)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	return (double)(end.tv_sec - start->tv_sec) * 1e3 + (double)(end.tv_nsec - start->tv_nsec) / 1e6;
}

/* One line per request: ids, route, status and time; never bodies or
 * tokens. A server error's line is the error's one log line, at level
 * error, with what failed. */
static void log_request(const struct request *request, const struct response *response, double milliseconds)
{
	enum log_level level = response->status >= 500 ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO;
	if (!log_enabled(level))
		return;
	const char *method = request->head ? "HEAD"
			     : request->method < HTTP_METHOD__MAX ? http_method_names[request->method] : "OTHER";
	char path_id[4 * PATH_ID_MAX + 1];
	log_escape(path_id, sizeof path_id, request->path_id);
	char caller[4 * sizeof request->caller.id + 1];
	log_escape(caller, sizeof caller, request->caller.id[0] ? request->caller.id : NULL);
	/* The object id is the client's, and an admin's id may hold spaces:
	 * both are quoted, so that nothing in them can pass for a field. */
	log_write(level, "request id=%s method=%s route=%s object=\"%s\" caller=\"%s\" status=%d error=%s ms=%.2f%s%s",
		  request->request_id ? request->request_id : "-", method, request->route ? request->route : "-",
		  path_id, caller, response->status, response->error_code ? response->error_code : "-",
		  milliseconds, response->cause[0] ? " cause=" : "", response->cause);
}

/*
 * Serves requests until a stop signal. The stop signals are blocked while a
 * request is served, so none interrupts its reads and writes; one that
 * arrives then is delivered when the request is done, and ends the loop.
 */
static void serve(FCGX_Request *fcgi, const struct config *config, struct db *db, struct auth_keys *keys,
		  const sigset_t *stop_set)
{
	sigprocmask(SIG_BLOCK, stop_set, NULL);
	for (;;) {
		sigprocmask(SIG_UNBLOCK, stop_set, NULL);
		int accepted = stop_requested ? -1 : FCGX_Accept_r(fcgi);
		sigprocmask(SIG_BLOCK, stop_set, NULL);
		if (accepted < 0)
			break;
		struct timespec start;
		clock_gettime(CLOCK_MONOTONIC, &start);
		struct request request = {0};
		struct response response = {0};
		fcgi_read_request(fcgi, config->body_limit_bytes, &request);
		router_dispatch(&request, db, keys, time(NULL), &response);
		fcgi_respond(fcgi, &request, &response);
		double milliseconds = elapsed_ms(&start);
		log_request(&request, &response, milliseconds);
		metrics_record_request(request.route_index, response.status, milliseconds);
		request_free(&request);
		response_free(&response);
	}
}

int main(void)
{
	struct config config;
	struct auth_keys *keys = NULL;
	struct db *db = NULL;
	char error[512];
	int status = 1;
	if (!config_load(&config, error, sizeof error)) {
		log_error("configuration: %s", error);
		return 1;
	}
	log_set_level((enum log_level)config.log_level);
	log_set_nonblocking();
	keys = auth_keys_new(&config, error, sizeof error);
	if (keys == NULL) {
		log_error("configuration: %s", error);
		goto done;
	}
	if (FCGX_Init() != 0) {
		log_error("cannot initialise FastCGI");
		goto done;
	}
	FCGX_Request fcgi;
	FCGX_InitRequest(&fcgi, 0, FCGI_FAIL_ACCEPT_ON_INTR);
	sigset_t stop_set;
	signals_install(&stop_set);
	if (!metrics_open(config.metrics_file, error, sizeof error))
		log_warn("metrics are this worker's alone: %s", error);
	db = db_new(&config);
	/* Connect now so the first request need not; a database that is not up
	 * yet is retried by the requests themselves. */
	db_ready(db);
	log_info("worker ready");
	serve(&fcgi, &config, db, keys, &stop_set);
	log_info("worker stopping");
	status = 0;
done:
	db_free(db);
	metrics_close();
	auth_keys_free(keys);
	config_free(&config);
	return status;
}
