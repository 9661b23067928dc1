/*
 * contrib/faults/faultload: the load generator of contrib/faults/run.
 *
 * One thread per client (a line of CLIENTS_FILE: user id, token, chat id),
 * each sending POST /api/messages/send_message/ in a loop through libcurl,
 * every send with its own Idempotency-Key and a text that names the key
 * ("fault KEY"), and writing one line per HTTP attempt to OUT_FILE
 * (tab-separated, no header):
 *
 *   client seq attempt start_ms latency_ms status code id key
 *
 * start_ms is the attempt's start in milliseconds since the epoch (to be
 * compared with the times the run script records its faults at),
 * latency_ms its duration, status the HTTP status (0: no HTTP answer, a
 * transport error), code the "code" field of a JSON error body ("-" when
 * none), id the "id" of the message a 200/201 answer returned ("-" when
 * none), key the Idempotency-Key (= the text minus "fault ").
 *
 *   faultload URL CLIENTS_FILE OUT_FILE [options]
 *     --prefix P       keys are P-c<client>-s<seq> (default "load")
 *     --duration S     start no new send after S seconds (default 5)
 *     --per-client N   at most N sends per client (default 0: no limit)
 *     --retry          retry a send answered 5xx or not at all, with the
 *                      same key and body, every 100 ms, until it gets a
 *                      2xx/4xx or --give-up seconds have passed
 *     --give-up S      seconds after the start when retries stop
 *                      (default duration + 15)
 *     --timeout S      libcurl timeout of one attempt (default 40: longer
 *                      than nginx's fastcgi_read_timeout, so that a held
 *                      worker shows as latency, not as a client timeout)
 *
 * It prints nothing but errors; contrib/faults/run reads OUT_FILE.
 * Build: cc -O2 -o faultload faultload.c -lcurl -lpthread
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

struct client {
	int index;
	char user[128];
	char token[4096];
	char chat[256];
	pthread_t thread;
};

static const char *base_url;
static const char *prefix = "load";
static double duration = 5, give_up = -1, timeout = 40;
static long per_client;
static int retry;
static double started; /* monotonic seconds */
static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static double monotonic(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long long epoch_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct body {
	char data[16384];
	size_t length;
};

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
	struct body *body = user;
	size_t n = size * count, room = sizeof body->data - 1 - body->length;
	memcpy(body->data + body->length, data, n < room ? n : room);
	body->length += n < room ? n : room;
	body->data[body->length] = '\0';
	return size * count;
}

/* Copies the string value of the first "name" key of a JSON body into out
 * ("-" when absent); enough for the service's flat answers. */
static void json_string(const char *body, const char *name, char *out_value, size_t size)
{
	char pattern[64];
	snprintf(pattern, sizeof pattern, "\"%s\"", name);
	snprintf(out_value, size, "-");
	const char *p = strstr(body, pattern);
	if (p == NULL)
		return;
	p += strlen(pattern);
	while (*p == ' ')
		p++;
	if (*p++ != ':')
		return;
	while (*p == ' ')
		p++;
	if (*p++ != '"')
		return;
	size_t n = 0;
	while (p[n] && p[n] != '"' && n + 1 < size && p[n] != '\t' && p[n] != '\\')
		n++;
	if (n == 0)
		return;
	memcpy(out_value, p, n);
	out_value[n] = '\0';
}

static void *client_run(void *arg)
{
	struct client *client = arg;
	CURL *curl = curl_easy_init();
	if (curl == NULL) {
		fprintf(stderr, "faultload: curl_easy_init failed\n");
		return NULL;
	}
	char url[1024], auth[4200];
	snprintf(url, sizeof url, "%s/api/messages/send_message/", base_url);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", client->token);

	for (long seq = 1; per_client == 0 || seq <= per_client; seq++) {
		if (monotonic() - started >= duration)
			break;
		char key[256], header_key[300], payload[1024];
		snprintf(key, sizeof key, "%s-c%d-s%ld", prefix, client->index, seq);
		snprintf(header_key, sizeof header_key, "Idempotency-Key: %s", key);
		snprintf(payload, sizeof payload, "{\"chat_id\": \"%s\", \"text\": \"fault %s\"}", client->chat, key);
		for (int attempt = 1;; attempt++) {
			struct curl_slist *headers = NULL;
			headers = curl_slist_append(headers, auth);
			headers = curl_slist_append(headers, "Content-Type: application/json");
			headers = curl_slist_append(headers, header_key);
			headers = curl_slist_append(headers, "Expect:");
			struct body body = {.length = 0};
			body.data[0] = '\0';
			curl_easy_reset(curl);
			curl_easy_setopt(curl, CURLOPT_URL, url);
			curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
			curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
			curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
			curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
			curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
			long long start_ms = epoch_ms();
			double t0 = monotonic();
			CURLcode rc = curl_easy_perform(curl);
			double latency_ms = (monotonic() - t0) * 1000;
			long status = 0;
			if (rc == CURLE_OK)
				curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
			curl_slist_free_all(headers);
			char code[64], id[128];
			json_string(body.data, "code", code, sizeof code);
			if (status == 200 || status == 201)
				json_string(body.data, "id", id, sizeof id);
			else
				snprintf(id, sizeof id, "-");
			if (rc != CURLE_OK)
				snprintf(code, sizeof code, "curl%d", (int)rc);
			pthread_mutex_lock(&out_lock);
			fprintf(out, "%d\t%ld\t%d\t%lld\t%.3f\t%ld\t%s\t%s\t%s\n", client->index, seq, attempt, start_ms,
				latency_ms, status, code, id, key);
			pthread_mutex_unlock(&out_lock);
			bool failed = status == 0 || status >= 500;
			if (!retry || !failed || monotonic() - started >= give_up)
				break;
			struct timespec pause = {0, 100 * 1000 * 1000};
			nanosleep(&pause, NULL);
		}
	}
	curl_easy_cleanup(curl);
	return NULL;
}

static void usage(void)
{
	fputs("usage: faultload URL CLIENTS_FILE OUT_FILE [--prefix P] [--duration S] [--per-client N]\n"
	      "                 [--retry] [--give-up S] [--timeout S]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		usage();
	base_url = argv[1];
	const char *clients_path = argv[2], *out_path = argv[3];
	for (int i = 4; i < argc; i++) {
		const char *option = argv[i];
		if (strcmp(option, "--retry") == 0) {
			retry = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *value = argv[++i];
		if (strcmp(option, "--prefix") == 0)
			prefix = value;
		else if (strcmp(option, "--duration") == 0)
			duration = atof(value);
		else if (strcmp(option, "--per-client") == 0)
			per_client = atol(value);
		else if (strcmp(option, "--give-up") == 0)
			give_up = atof(value);
		else if (strcmp(option, "--timeout") == 0)
			timeout = atof(value);
		else
			usage();
	}
	if (give_up < 0)
		give_up = duration + 15;

	FILE *file = fopen(clients_path, "r");
	if (file == NULL) {
		perror(clients_path);
		return 1;
	}
	struct client *clients = NULL;
	int count = 0;
	char line[8192];
	while (fgets(line, sizeof line, file)) {
		struct client c = {.index = count + 1};
		if (sscanf(line, "%127s %4095s %255s", c.user, c.token, c.chat) != 3)
			continue;
		clients = realloc(clients, sizeof *clients * (size_t)(count + 1));
		if (clients == NULL)
			abort();
		clients[count++] = c;
	}
	fclose(file);
	if (count == 0) {
		fprintf(stderr, "faultload: no client in %s\n", clients_path);
		return 1;
	}
	out = fopen(out_path, "w");
	if (out == NULL) {
		perror(out_path);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	started = monotonic();
	for (int i = 0; i < count; i++)
		pthread_create(&clients[i].thread, NULL, client_run, &clients[i]);
	for (int i = 0; i < count; i++)
		pthread_join(clients[i].thread, NULL);
	fclose(out);
	curl_global_cleanup();
	free(clients);
	return 0;
}
