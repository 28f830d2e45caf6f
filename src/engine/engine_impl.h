/* engine_impl.h -- the engine's private parts, for its scheduler
 * (scheduler.c), its test and the benchmark: one replica (replica.h), the
 * replica lanes (lanes.h) and the result cell they share (cell.h).  Not
 * installed. */
#ifndef TS_ENGINE_IMPL_H
#define TS_ENGINE_IMPL_H

#include "engine/engine.h"
#include "engine/cell.h"
#include "engine/lanes.h"
#include "engine/replica.h"

#endif
