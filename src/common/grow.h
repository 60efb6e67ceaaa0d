/* grow.h: room for more in a heap array that doubles each time it fills up. */
#ifndef L3DSR_GROW_H
#define L3DSR_GROW_H

#include <stddef.h>
#include <stdlib.h>

/*
 * ITEMS (*CAPACITY elements of SIZE bytes) moved into twice the room, or FIRST elements when it
 * has none yet. Returns the array to use from now on, with *CAPACITY updated; NULL when memory
 * runs out, ITEMS and *CAPACITY then unchanged and still valid.
 */
static inline void *grow_array(void *items, size_t *capacity, size_t size, size_t first)
{
	size_t grown = *capacity ? 2 * *capacity : first;
	void *moved = realloc(items, grown * size);

	if (moved)
		*capacity = grown;
	return moved;
}

#endif /* L3DSR_GROW_H */
