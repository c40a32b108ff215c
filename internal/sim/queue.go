package sim

// pending is one serialized EVE line waiting for its turn. Lines are ordered by
// timestamp, then by insertion sequence, so the output is deterministic.
type pending struct {
	ts  int64
	seq uint64
	typ uint8
	b   []byte
}

// pqueue is a binary min-heap of pending lines (hand-rolled: container/heap's
// interface calls cost more than the work itself at this volume).
type pqueue struct {
	items []pending
	seq   uint64
}

func (q *pqueue) less(i, j int) bool {
	a, b := &q.items[i], &q.items[j]
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	return a.seq < b.seq
}

func (q *pqueue) push(ts int64, typ uint8, b []byte) {
	q.seq++
	q.items = append(q.items, pending{ts: ts, seq: q.seq, typ: typ, b: b})
	i := len(q.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.items[i], q.items[p] = q.items[p], q.items[i]
		i = p
	}
}

func (q *pqueue) len() int { return len(q.items) }

func (q *pqueue) peekTS() int64 { return q.items[0].ts }

func (q *pqueue) pop() pending {
	top := q.items[0]
	n := len(q.items) - 1
	q.items[0] = q.items[n]
	q.items[n] = pending{}
	q.items = q.items[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q.items[i], q.items[m] = q.items[m], q.items[i]
		i = m
	}
	return top
}
