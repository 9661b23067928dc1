/*
 * The shared metrics table: a file mapped by every worker, one slot each.
 * A worker writes only its own slot, with relaxed atomic stores, and reads
 * all of them to render /metrics.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "metrics.h"

/* "tcchatm1": change it when the table's layout changes (a file of the same
 * size but another layout must be refused). */
#define METRICS_MAGIC 0x7463636861746d31ULL
#define METRICS_SLOTS 64

/* The statuses counted one by one; any other counts as "other". */
static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 502, 503};
#define STATUS_COUNT (sizeof statuses / sizeof statuses[0])
#define STATUS_SLOTS (STATUS_COUNT + 1)

/* Latency bucket bounds in seconds; a last bucket holds the rest (+Inf). */
static const double bucket_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define BOUND_COUNT (sizeof bucket_bounds / sizeof bucket_bounds[0])
#define BUCKETS (BOUND_COUNT + 1)

struct metrics_slot {
	int32_t pid;       /* the worker writing it; 0 when never claimed */
	int32_t unused;
	int64_t started;   /* when that worker started, unix seconds */
	uint64_t requests[METRICS_ROUTES_MAX][STATUS_SLOTS];
	uint64_t latency[METRICS_ROUTES_MAX][BUCKETS];
	uint64_t latency_sum_us[METRICS_ROUTES_MAX];
	uint64_t db_errors;
};

struct metrics_table {
	uint64_t magic;
	struct metrics_slot slots[METRICS_SLOTS];
};

static struct metrics_table *table;
static struct metrics_slot *own;
static bool table_shared;

static void counter_add(uint64_t *counter, uint64_t amount)
{
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + amount, __ATOMIC_RELAXED);
}

static uint64_t counter_read(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static bool slot_owner_gone(const struct metrics_slot *slot)
{
	int32_t pid = __atomic_load_n(&slot->pid, __ATOMIC_ACQUIRE);
	return pid == 0 || (kill(pid, 0) == -1 && errno == ESRCH);
}

/* Claims the first slot nobody alive holds, keeping its counters. */
static struct metrics_slot *slot_claim(void)
{
	int32_t me = (int32_t)getpid();
	for (int i = 0; i < METRICS_SLOTS; i++) {
		struct metrics_slot *slot = &table->slots[i];
		int32_t seen = __atomic_load_n(&slot->pid, __ATOMIC_ACQUIRE);
		if (seen != me && !slot_owner_gone(slot))
			continue;
		if (__atomic_compare_exchange_n(&slot->pid, &seen, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return slot;
	}
	return NULL;
}

static bool table_map_file(const char *path, char *error, size_t error_size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat status;
	if (fd < 0 || fstat(fd, &status) != 0) {
		snprintf(error, error_size, "TCCHAT_METRICS_FILE: cannot open %s: %s", path, strerror(errno));
		goto failed;
	}
	/* Only a new (empty) file is sized: resizing one that other workers
	 * map, of another build's table, would pull pages from under them. */
	if (status.st_size != 0 && status.st_size != (off_t)sizeof *table) {
		snprintf(error, error_size, "TCCHAT_METRICS_FILE: %s holds something else", path);
		goto failed;
	}
	if (status.st_size == 0 && ftruncate(fd, sizeof *table) != 0) {
		snprintf(error, error_size, "TCCHAT_METRICS_FILE: cannot size %s: %s", path, strerror(errno));
		goto failed;
	}
	void *mapped = mmap(NULL, sizeof *table, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mapped == MAP_FAILED) {
		snprintf(error, error_size, "TCCHAT_METRICS_FILE: cannot map %s: %s", path, strerror(errno));
		goto failed;
	}
	close(fd);
	table = mapped;
	/* A new file is all zeroes; the first worker marks it ours. */
	uint64_t expected = 0;
	__atomic_compare_exchange_n(&table->magic, &expected, METRICS_MAGIC, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
	if (table->magic != METRICS_MAGIC) {
		snprintf(error, error_size, "TCCHAT_METRICS_FILE: %s holds something else", path);
		munmap(table, sizeof *table);
		table = NULL;
		return false;
	}
	return true;
failed:
	if (fd >= 0)
		close(fd);
	return false;
}

static void table_map_private(void)
{
	void *mapped = mmap(NULL, sizeof *table, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mapped == MAP_FAILED)
		abort();
	table = mapped;
	table->magic = METRICS_MAGIC;
}

bool metrics_open(const char *path, char *error, size_t error_size)
{
	bool ok = true;
	table_shared = path != NULL && table_map_file(path, error, error_size);
	if (path != NULL && !table_shared)
		ok = false;
	if (table_shared)
		own = slot_claim();
	if (table_shared && own == NULL) {
		snprintf(error, error_size, "TCCHAT_METRICS_FILE: all %d worker slots are taken", METRICS_SLOTS);
		munmap(table, sizeof *table);
		table_shared = ok = false;
	}
	if (!table_shared) {
		table_map_private();
		own = &table->slots[0];
		own->pid = (int32_t)getpid();
	}
	__atomic_store_n(&own->started, (int64_t)time(NULL), __ATOMIC_RELAXED);
	return ok;
}

void metrics_close(void)
{
	if (table != NULL)
		munmap(table, sizeof *table);
	table = NULL;
	own = NULL;
}

void metrics_record_request(size_t route, int status, double milliseconds)
{
	if (own == NULL || route >= METRICS_ROUTES_MAX)
		return;
	size_t status_index = STATUS_COUNT;
	for (size_t i = 0; i < STATUS_COUNT; i++)
		if (statuses[i] == status)
			status_index = i;
	size_t bucket = 0;
	while (bucket < BOUND_COUNT && milliseconds / 1000.0 > bucket_bounds[bucket])
		bucket++;
	counter_add(&own->requests[route][status_index], 1);
	counter_add(&own->latency[route][bucket], 1);
	counter_add(&own->latency_sum_us[route], (uint64_t)(milliseconds * 1000.0));
}

void metrics_record_db_error(void)
{
	if (own != NULL)
		counter_add(&own->db_errors, 1);
}

/* ---------------------------------------------------------------- rendering */

static uint64_t sum_requests(size_t route, size_t status)
{
	uint64_t total = 0;
	for (int i = 0; i < METRICS_SLOTS; i++)
		total += counter_read(&table->slots[i].requests[route][status]);
	return total;
}

static void render_requests(struct buf *out, const char *const *route_names, size_t route_count)
{
	buf_append_str(out, "# HELP tcchat_http_requests_total Requests answered, by route pattern and status.\n"
			    "# TYPE tcchat_http_requests_total counter\n");
	for (size_t route = 0; route < route_count; route++)
		for (size_t status = 0; status < STATUS_SLOTS; status++) {
			uint64_t count = sum_requests(route, status);
			if (count == 0)
				continue;
			buf_printf(out, "tcchat_http_requests_total{route=\"%s\",status=\"", route_names[route]);
			if (status < STATUS_COUNT)
				buf_printf(out, "%d", statuses[status]);
			else
				buf_append_str(out, "other");
			buf_printf(out, "\"} %llu\n", (unsigned long long)count);
		}
}

static void render_latency(struct buf *out, const char *const *route_names, size_t route_count)
{
	buf_append_str(out, "# HELP tcchat_http_request_duration_seconds Time from reading a request to answering it.\n"
			    "# TYPE tcchat_http_request_duration_seconds histogram\n");
	for (size_t route = 0; route < route_count; route++) {
		uint64_t buckets[BUCKETS] = {0}, sum_us = 0, count = 0;
		for (int i = 0; i < METRICS_SLOTS; i++) {
			for (size_t b = 0; b < BUCKETS; b++)
				buckets[b] += counter_read(&table->slots[i].latency[route][b]);
			sum_us += counter_read(&table->slots[i].latency_sum_us[route]);
		}
		for (size_t b = 0; b < BUCKETS; b++)
			count += buckets[b];
		if (count == 0)
			continue;
		uint64_t cumulative = 0;
		for (size_t b = 0; b < BUCKETS; b++) {
			cumulative += buckets[b];
			buf_printf(out, "tcchat_http_request_duration_seconds_bucket{route=\"%s\",le=\"", route_names[route]);
			if (b < BOUND_COUNT)
				buf_printf(out, "%g", bucket_bounds[b]);
			else
				buf_append_str(out, "+Inf");
			buf_printf(out, "\"} %llu\n", (unsigned long long)cumulative);
		}
		buf_printf(out, "tcchat_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", route_names[route],
			   (double)sum_us / 1e6);
		buf_printf(out, "tcchat_http_request_duration_seconds_count{route=\"%s\"} %llu\n", route_names[route],
			   (unsigned long long)count);
	}
}

static void render_workers(struct buf *out)
{
	uint64_t db_errors = 0;
	buf_append_str(out, "# HELP tcchat_worker_start_time_seconds When each running worker started.\n"
			    "# TYPE tcchat_worker_start_time_seconds gauge\n");
	for (int i = 0; i < METRICS_SLOTS; i++) {
		const struct metrics_slot *slot = &table->slots[i];
		db_errors += counter_read(&slot->db_errors);
		if (slot_owner_gone(slot))
			continue;
		buf_printf(out, "tcchat_worker_start_time_seconds{pid=\"%d\"} %lld\n", (int)slot->pid,
			   (long long)__atomic_load_n(&slot->started, __ATOMIC_RELAXED));
	}
	buf_printf(out, "# HELP tcchat_worker_uptime_seconds How long this worker has run.\n"
			"# TYPE tcchat_worker_uptime_seconds gauge\n"
			"tcchat_worker_uptime_seconds %lld\n",
		   (long long)(time(NULL) - __atomic_load_n(&own->started, __ATOMIC_RELAXED)));
	buf_printf(out, "# HELP tcchat_db_errors_total Database failures (unreachable, timed out, or unexpected).\n"
			"# TYPE tcchat_db_errors_total counter\n"
			"tcchat_db_errors_total %llu\n",
		   (unsigned long long)db_errors);
}

char *metrics_render(const char *const *route_names, size_t route_count)
{
	struct buf out = {0};
	if (route_count > METRICS_ROUTES_MAX)
		route_count = METRICS_ROUTES_MAX;
	if (table != NULL) {
		render_requests(&out, route_names, route_count);
		render_latency(&out, route_names, route_count);
		render_workers(&out);
	}
	return buf_take(&out);
}
