package federation

import (
	"net/http"

	"github.com/rampart-project/rampart/internal/platform/web"
)

func (m *Module) listPeers(w http.ResponseWriter, r *http.Request) {
	peers, err := m.svc.List(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"peers": peers})
}

func (m *Module) getPeer(w http.ResponseWriter, r *http.Request) {
	p, err := m.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (m *Module) createPeer(w http.ResponseWriter, r *http.Request) {
	var in Input
	if err := web.DecodeJSON(r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p, err := m.svc.Create(r.Context(), actorOf(r), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/peers/"+p.ID)
	web.WriteJSON(w, http.StatusCreated, p)
}

func (m *Module) updatePeer(w http.ResponseWriter, r *http.Request) {
	var in Input
	if err := web.DecodeJSON(r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p, err := m.svc.Update(r.Context(), actorOf(r), r.PathValue("id"), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (m *Module) deletePeer(w http.ResponseWriter, r *http.Request) {
	if err := m.svc.Delete(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// syncPeer runs the peer now and answers with what the run did; a failed
// run is a 200 whose error says why, as it is recorded on the peer.
func (m *Module) syncPeer(w http.ResponseWriter, r *http.Request) {
	res, err := m.svc.Sync(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, res)
}
