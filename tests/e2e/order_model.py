"""A small reference model of a pharmacy order's lifecycle, stock and money
(SPEC §2.2–2.5 and §5, and issue 11's rules), used by test_model_lifecycle.py.

Pure Python, no I/O. Amounts are integer paise. A World holds the stock
(on hand per SKU) and the orders; the units an order holds follow from its
status, so "reserved" is derived, never stored.

Every operation is a list of phases. A phase takes a World and returns the
possible outcomes: a list of (new World, response) where response is None
when the operation goes on to its next phase, else its final answer (a
dict with at least "status", the HTTP status). Several outcomes mean the
contract allows several (SPEC is silent, or timing decides). interleave()
runs operations that were sent at once in every order their phases allow
and returns every final (World, responses).

The rules, in one place:
- Moves (SPEC §5) are ALLOWED; a refused move changes nothing.
- Stock: an order holds its open units (ordered − cancelled by a partial
  cancel) while in RESERVING statuses; 20 (allocation failure) and 99 give
  them back; 130 → 25 takes them out of on hand; 20 → 120 takes them
  again (refused when short). Cancelling after shipping restocks nothing.
- Allocation (issue 19): after a step that adds stock or gives units back,
  the orders waiting in 20 with an open line on one of those SKUs are
  served in the order they started waiting, each moved 20 → 120 only when
  every line fits in full (one that does not is passed over and keeps its
  place). The order that gave the units back in that step is left out:
  an operator's move to 20 is not undone by its own units.
- Prescriptions: an order holding an Rx line and no prescription URL
  (missing, null or []) waits in 100; with one it is placed at 15 (COD at
  create, ONLINE at confirm). Adding prescriptions moves 100 → 110 (and is
  accepted in 110); verify moves 110 → 120 or back to 100.
- Money: the value an order holds is its open lines at their discounted
  unit prices plus its charges, 0 once cancelled. Once anything is
  collected, collected − refunded (queued or done) = that value. A partial
  cancel before payment lowers what is due; a confirm paying an earlier,
  higher due confirms and refunds the difference; a payment captured for
  an order cancelled or expired meanwhile is recorded and refunded in full
  (the answer stays the seed's 500).

Where SPEC and the issue are silent, the model takes these positions:
- An operator's move to 99 (from 120, 20, 45, 95, or 15/100/110) refunds
  what is still collected, as a merchant's cancel does: the identity says
  0 is held once cancelled, whoever cancels.
- 95 (cancellation initiated) keeps the stock until 99 gives it back.
- Charges are fixed when the order is created; a partial cancel keeps them.
- A confirm paying the current due, or the amount first asked, is accepted
  (the difference refunded); a due in between may be accepted or refused;
  any other amount is a mismatch (400, flagged).
- A confirm sent after the order was cancelled (before it was confirmed)
  answers the seed's 500, also after a payment was recorded for it; the
  server may skip the payment API then, but if it asks and hears SUCCESS
  it records the payment and refunds it, once per transaction id (the
  same transaction again changes nothing; another one is refunded too).
- A cancel by SKUs naming every open unit is a whole cancel (99, all that
  was collected refunded); those units count as cancelled, so what is
  payable (admin `payable`, track `amount_payable`) drops to the charges.
- An order whose Rx units were all cancelled by a partial cancel may be
  placed at 15 or wait in 100 at confirm (either is accepted); one in 100
  stays there (100 → 15 is not a §5 move).
- A whole cancel may or may not count every unit as cancelled in the admin
  view's lines (track keeps the quantities, as the seed does).
- Returns (140 → 141 → 142) refund nothing by themselves.
"""

import copy

ALLOWED = {
    180: {15, 100, 99},
    15: {100, 110, 120, 95, 99},
    100: {110, 99},
    110: {120, 100, 99},
    120: {130, 20, 99},
    20: {120, 99},
    130: {25},
    25: {30},
    30: {40, 45},
    45: {30, 99},
    40: {140},
    140: {141},
    141: {142},
    95: {99},
}
ALL_STATUSES = sorted(set(ALLOWED) | {99, 142})
CANCELLABLE = {180, 15, 100, 110}
RESERVING = {180, 15, 100, 110, 120, 130, 95}
DELIVERED = {40, 140, 141, 142}
TERMINAL = {99, 142}
INITIAL = {180, 15, 100}
MSG_MAP = "Map payment to order operation failed"


class Line:
    __slots__ = ("sku", "qty", "cancelled", "discounted", "rx")

    def __init__(self, sku, qty, discounted, rx):
        self.sku, self.qty, self.cancelled, self.discounted, self.rx = sku, qty, 0, discounted, rx

    @property
    def open(self):
        return self.qty - self.cancelled


class Order:
    """What the model knows of one order (all of it observable on the wire)."""

    def __init__(self, key, merchant, ref, method, lines, charges, rx_urls):
        self.key = key
        self.merchant = merchant
        self.ref = ref
        self.method = method
        self.lines = lines
        self.charges = charges
        self.rx_urls = rx_urls
        self.order_id = None
        self.status = None
        self.history = []
        self.shipped = False
        self.payments = []
        self.txns = []  # transaction ids of the payments, once each
        self.refunds = []
        self.dues = []
        self.flagged = False
        self.created_at = 0.0
        self.wait_seq = 0  # when it started waiting in 20 (the world's clock)

    def clone(self):
        return copy.deepcopy(self)

    def lines_value(self):
        return sum(l.open * l.discounted for l in self.lines)

    def due(self):
        """What the order is worth now (lines kept + charges)."""
        return self.lines_value() + self.charges

    def held_value(self):
        return 0 if self.status == 99 else self.due()

    def collected(self):
        cash = self.due() if self.method == "COD" and self.status in DELIVERED else 0
        return sum(self.payments) + cash

    def refunded(self):
        return sum(self.refunds)

    def confirmed(self):
        """Placed by a confirm (or at create): a confirm then answers 200.
        An order cancelled before it was confirmed is not, even when a
        payment captured meanwhile was recorded (and refunded)."""
        return any(s not in (180, 99) for s in self.history)

    def holds_rx(self):
        """(surely, maybe): whether the order holds an Rx line. An Rx line
        whose units were all cancelled is the contract's grey zone."""
        open_rx = any(l.rx and l.open > 0 for l in self.lines)
        any_rx = any(l.rx for l in self.lines)
        return open_rx, any_rx and not open_rx

    def holds_stock(self):
        return self.status in RESERVING


class World:
    def __init__(self):
        self.on_hand = {}
        self.orders = {}
        self.adjust = {}  # units the server has more available than the model (after a disagreement)
        self._reserved = None
        self.wait_clock = 0

    def copy(self):
        w = World.__new__(World)
        w.on_hand = dict(self.on_hand)
        w.orders = dict(self.orders)
        w.adjust = self.adjust
        w._reserved = self._reserved
        w.wait_clock = self.wait_clock
        return w

    def start_waiting(self, o):
        """o (this world's copy) joins the back of the queue for stock."""
        self.wait_clock += 1
        o.wait_seq = self.wait_clock

    def edit(self, key):
        """A private copy of order key in this world, to change."""
        o = self.orders[key].clone()
        self.orders[key] = o
        self._reserved = None
        return o

    def add(self, o):
        self.orders[o.key] = o
        self._reserved = None

    def reserved(self, sku):
        if self._reserved is None:
            res = {}
            for o in self.orders.values():
                if o.holds_stock():
                    for l in o.lines:
                        res[l.sku] = res.get(l.sku, 0) + l.open
            self._reserved = res
        return self._reserved.get(sku, 0)

    def available(self, sku):
        return self.on_hand[sku] - self.reserved(sku) + self.adjust.get(sku, 0)


def _move(o, to):
    o.history.append(to)
    o.status = to


def _released(o):
    """The SKUs whose units order o holds (before a move that gives them back)."""
    if not o.holds_stock():
        return set()
    return {l.sku for l in o.lines if l.open > 0}


def _allocate(w, skus, exclude=None):
    """The allocation after a step that raised the stock of skus (see the
    rules above); changes w, a world of this step."""
    if not skus:
        return w
    waiting = sorted((o for o in w.orders.values()
                      if o.status == 20 and o.key != exclude and any(l.sku in skus and l.open > 0 for l in o.lines)),
                     key=lambda o: (o.wait_seq, o.key))
    for o in waiting:
        want = {}
        for l in o.lines:
            if l.open > 0:
                want[l.sku] = want.get(l.sku, 0) + l.open
        if all(q <= w.available(sku) for sku, q in want.items()):
            _move(w.edit(o.key), 120)
    return w


def _placed_status(o):
    """Statuses an order with its prescriptions may be placed at."""
    surely, maybe = o.holds_rx()
    if o.rx_urls:
        return [15]
    if surely:
        return [100]
    if maybe:
        return [15, 100]
    return [15]


def _refund_rest(o):
    rest = o.collected() - o.refunded()
    if rest > 0:
        o.refunds.append(rest)
        return rest
    return None


# ---- operations: each returns a list of phases --------------------------------------------------

def op_create(order, now=0.0):
    """order: a fresh Order (no status yet)."""
    def phase(w):
        for sku in {l.sku for l in order.lines}:
            want = sum(l.qty for l in order.lines if l.sku == sku)
            if want > w.available(sku):
                return [(w, {"status": 400, "why": "short", "sku": sku})]
        outs = []
        starts = [180] if order.method == "ONLINE" else _placed_status(order)
        for s in starts:
            w2 = w.copy()
            o = order.clone()
            o.created_at = now
            o.status = s
            o.history = [s]
            o.dues = [o.due()]
            w2.add(o)
            outs.append((w2, {"status": 200}))
        return outs
    return [phase]


def _captured_after_cancel(w, key, amount, txn):
    """A payment captured for order key, cancelled before it was
    confirmed: recorded and refunded in full, once per transaction id."""
    if txn in w.orders[key].txns:
        return w
    w2 = w.copy()
    o2 = w2.edit(key)
    o2.payments.append(amount)
    o2.txns.append(txn)
    o2.refunds.append(amount)
    return w2


def op_confirm(key, kind, amount, txn="TX"):
    """kind: SUCCESS, PENDING, FAILED or ERROR (timeout, 5xx, garbage);
    amount in paise and txn the transaction id (SUCCESS). Phase 1 is the
    check before the payment API is asked, phase 2 what happens with its
    answer. Answers say whether the payment API must have been asked
    ("asked": True/False, or None when either is right), which the driver
    sees on the mock."""
    def precheck(w):
        o = w.orders[key]
        if o.method != "ONLINE":
            return [(w, {"status": 400, "asked": None})]
        if o.confirmed():
            return [(w, {"status": 200, "asked": None})]
        if o.status == 99:
            # Cancelled before the confirm came: the seed's 500. A server that
            # asks anyway must record a captured payment and refund it.
            outs = [(w, {"status": 500, "message": MSG_MAP, "asked": False})]
            w2 = _captured_after_cancel(w, key, amount, txn) if kind == "SUCCESS" else w
            outs.append((w2, {"status": 500, "message": MSG_MAP, "asked": True}))
            return outs
        if o.status != 180:
            return [(w, {"status": 400, "asked": None})]
        return [(w, None)]

    def commit(w):
        o = w.orders[key]
        if kind == "PENDING" or kind == "FAILED":
            return [(w, {"status": 400, "asked": True})]
        if kind == "ERROR":
            return [(w, {"status": 502, "asked": True})]
        if o.confirmed():
            return [(w, {"status": 200, "asked": True})]
        if o.status == 99:
            return [(_captured_after_cancel(w, key, amount, txn),
                     {"status": 500, "message": MSG_MAP, "asked": True})]
        due = o.due()
        # The current due and the amount first asked are right; a due in
        # between (a partial cancel raced the confirm twice) may be either.
        right = amount == due or (amount > due and amount == o.dues[0])
        between = not right and amount > due and amount in o.dues
        outs = []
        if not right:
            w2 = w.copy()
            w2.edit(key).flagged = True
            outs.append((w2, {"status": 400, "asked": True}))
            if not between:
                return outs
        for to in _placed_status(o):
            w2 = w.copy()
            o2 = w2.edit(key)
            o2.payments.append(amount)
            o2.txns.append(txn)
            _move(o2, to)
            if amount > due:
                o2.refunds.append(amount - due)
            outs.append((w2, {"status": 200, "asked": True}))
        return outs
    return [precheck, commit]


def op_refused(status, message_has=None):
    """A request the server must refuse with status, changing nothing."""
    def phase(w):
        return [(w, {"status": status, "message_has": message_has})]
    return [phase]


def op_cancel(key, skus=None):
    """A whole cancel (skus None) or one by SKU {sku: qty}."""
    def phase(w):
        o = w.orders[key]
        if o.status not in CANCELLABLE:
            return [(w, {"status": 400})]
        w2 = w.copy()
        o2 = w2.edit(key)
        value = 0
        released = {sku for sku, qty in skus.items() if qty > 0} if skus else _released(o)
        if skus:
            for sku, qty in skus.items():
                line = next((l for l in o2.lines if l.sku == sku), None)
                if line is None or qty < 1 or qty > line.open:
                    return [(w, {"status": 400})]
                line.cancelled += qty
                value += qty * line.discounted
            o2.dues.append(o2.due())
        if not skus or all(l.open == 0 for l in o2.lines):
            _move(o2, 99)
            refund = _refund_rest(o2)
            return [(_allocate(w2, released, key), {"status": 200, "refund": refund, "status_id": 99})]
        refund = None
        rest = o2.collected() - o2.refunded()
        if rest > 0 and value > 0:
            refund = min(value, rest)
            o2.refunds.append(refund)
        return [(_allocate(w2, released, key), {"status": 200, "refund": refund, "status_id": o2.status})]
    return [phase]


def op_admin_move(key, to):
    def phase(w):
        o = w.orders[key]
        if to not in ALLOWED.get(o.status, ()):
            return [(w, {"status": 409})]
        if o.status == 20 and to == 120:
            for sku in {l.sku for l in o.lines}:
                if sum(l.open for l in o.lines if l.sku == sku) > w.available(sku):
                    return [(w, {"status": 409})]
        w2 = w.copy()
        o2 = w2.edit(key)
        released = _released(o) if to in (99, 20) else set()
        if to == 25:
            for l in o2.lines:
                w2.on_hand[l.sku] -= l.open
            o2.shipped = True
        _move(o2, to)
        if to == 20:
            w2.start_waiting(o2)
        if to == 99:
            _refund_rest(o2)
        return [(_allocate(w2, released, key), {"status": 200})]
    return [phase]


def op_add_prescriptions(key, n):
    def phase(w):
        o = w.orders[key]
        if n == 0 or o.status not in (100, 110):
            return [(w, {"status": 400})]
        w2 = w.copy()
        o2 = w2.edit(key)
        o2.rx_urls += n
        if o2.status == 100:
            _move(o2, 110)
        return [(w2, {"status": 200})]
    return [phase]


def op_verify(key, approved):
    def phase(w):
        o = w.orders[key]
        if o.status != 110:
            return [(w, {"status": 409})]
        w2 = w.copy()
        _move(w2.edit(key), 120 if approved else 100)
        return [(w2, {"status": 200})]
    return [phase]


def op_expire(key):
    """The payment window ran out (the server's sweeper, no answer)."""
    def phase(w):
        o = w.orders[key]
        if o.status != 180:
            return [(w, {"status": None})]
        w2 = w.copy()
        _move(w2.edit(key), 99)
        return [(_allocate(w2, _released(o), key), {"status": None})]
    return [phase]


def op_restock(sku, delta):
    def phase(w):
        w2 = w.copy()
        w2.on_hand[sku] += delta
        return [(_allocate(w2, {sku} if delta > 0 else set()), {"status": 200})]
    return [phase]


def interleave(world, ops, optional=()):
    """Every final (World, [response per op]) of running ops at once. ops
    is a list of phase lists; optional is a list of phase lists that may
    run anywhere or not at all (their responses are not returned)."""
    allops = list(ops) + list(optional)
    n = len(ops)
    results = []

    def rec(w, pos, resp):
        pending = False
        for i, phases in enumerate(allops):
            if pos[i] is None:
                continue
            if i < n or pos[i] > 0:
                pending = True
            for w2, r in phases[pos[i]](w):
                pos2, resp2 = list(pos), list(resp)
                if r is None:
                    pos2[i] += 1
                    assert pos2[i] < len(phases), "an operation's last phase must answer"
                else:
                    pos2[i] = None
                    resp2[i] = r
                rec(w2, pos2, resp2)
        if not pending:
            results.append((w, resp[:n]))

    rec(world, [0] * len(allops), [None] * len(allops))
    return results
