package fsm

import (
	"sync"

	lfsm "github.com/looplab/fsm"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// authEvent is the event name of the authentication-failure transition.
const authEvent = "AUTHENTICATION_INVALID"

// eventName names the looplab event of a (request, response) pair: one
// event per row response of the table.
func eventName(req, resp messages.Code) string {
	return req.String() + "/" + resp.String()
}

// eventCache holds the looplab description of each table, built once per
// table.
var eventCache sync.Map // *qosst.Table → lfsm.Events

// events returns the looplab description of tab: one event per
// (request, response) of its resolved transitions, from every state where
// it holds, and the authentication failure from every state but closed.
func events(tab *qosst.Table) lfsm.Events {
	if ev, ok := eventCache.Load(tab); ok {
		return ev.(lfsm.Events)
	}
	type key struct {
		name string
		dst  states.State
	}
	srcs := map[key][]string{}
	var order []key
	add := func(name string, from, to states.State) {
		k := key{name, to}
		if _, ok := srcs[k]; !ok {
			order = append(order, k)
		}
		srcs[k] = append(srcs[k], string(from))
	}
	for _, t := range tab.Transitions() {
		add(eventName(t.Request, t.Response), t.From, t.Next)
	}
	for _, s := range states.All() {
		if s != states.Closed {
			add(authEvent, s, tab.AuthFailure(s).Next)
		}
	}
	out := make(lfsm.Events, 0, len(order))
	for _, k := range order {
		out = append(out, lfsm.EventDesc{Name: k.name, Src: srcs[k], Dst: string(k.dst)})
	}
	ev, _ := eventCache.LoadOrStore(tab, out)
	return ev.(lfsm.Events)
}

// newMachine returns a looplab machine over tab, in connected.
func newMachine(tab *qosst.Table, cb lfsm.Callbacks) *lfsm.FSM {
	return lfsm.NewFSM(string(states.Connected), events(tab), cb)
}
