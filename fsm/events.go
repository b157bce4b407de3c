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

// eventName names the looplab event of a (request, response) pair.
func eventName(req, resp messages.Code) string {
	return req.String() + "/" + resp.String()
}

// events is the looplab description of the whole table, built once.
var events = sync.OnceValue(func() lfsm.Events {
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
	for _, t := range qosst.Transitions() {
		add(eventName(t.Request, t.Response), t.From, t.Next)
	}
	for _, s := range states.All() {
		if s != states.Closed {
			add(authEvent, s, qosst.AuthFailure(s).Next)
		}
	}
	out := make(lfsm.Events, 0, len(order))
	for _, k := range order {
		out = append(out, lfsm.EventDesc{Name: k.name, Src: srcs[k], Dst: string(k.dst)})
	}
	return out
})

// newMachine returns a looplab machine over the table, in connected.
func newMachine() *lfsm.FSM {
	return lfsm.NewFSM(string(states.Connected), events(), nil)
}
