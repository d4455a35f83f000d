// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Seeds for the keyed hash tables (rule buckets, fragment keys), so their layout is not guessable. */
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

uint64_t rxq_seed_new(void)
{
	struct timespec ts;
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed) && seed)
		return seed;
	/* No entropy yet (early boot): a clock-derived seed still differs per table. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^
		       ((uint64_t)getpid() << 32);
	return seed ? seed : 0x9e3779b97f4a7c15ull;
}
