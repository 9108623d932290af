import { v7 } from 'uuid';

/**
 * The id of a new exchange or grant: a UUID whose first 48 bits are the
 * time it was made (RFC 9562, version 7), the rest random. Rows made one
 * after another then sit next to each other in every index that leads with
 * their id (the table's own, the audit log's by subject), so that an insert
 * lands on the index's last page, already in memory, rather than on a random
 * page of a large index, read in and written out again whole to the WAL
 * after each checkpoint. The time it tells is no secret: whoever may see
 * the row sees when it was requested or granted.
 */
export const newId = (): string => v7();
