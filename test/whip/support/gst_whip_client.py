#!/usr/bin/python3
"""A third-party WHIP client for the tests: GStreamer's webrtcbin (Debian's, no whipsink there).

webrtcbin offers VP8 (videotestsrc ! vp8enc ! rtpvp8pay) and Opus, sendonly; once its candidates are
gathered the offer is POSTed to the WHIP endpoint (urllib), the 201's answer applied, media sent for
N seconds, then the resource DELETEd. Progress goes to stdout as JSON lines for the test to read.

Usage: /usr/bin/python3 gst_whip_client.py ENDPOINT_URL SECONDS [TOKEN]
Run it with Debian's /usr/bin/python3: gi, Gst and the GstWebRTC typelib are Debian packages.
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

PIPELINE = """
webrtcbin name=pc bundle-policy=max-bundle
videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1
  ! vp8enc deadline=1 keyframe-max-dist=30 target-bitrate=300000 ! rtpvp8pay pt=96
  ! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! pc.
audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! opusenc ! rtpopuspay pt=111
  ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! pc.
"""


def say(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


class WhipClient:
    def __init__(self, endpoint, seconds, token):
        self.endpoint = endpoint
        self.seconds = seconds
        self.token = token
        self.location = None
        self.failed = False
        self.loop = GLib.MainLoop()
        self.pipe = Gst.parse_launch(PIPELINE)
        self.pc = self.pipe.get_by_name("pc")
        self.pc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.pc.connect("notify::ice-gathering-state", self.on_gathering)
        self.pc.connect("notify::ice-connection-state", self.on_ice_state)
        self.posted = False
        self.offered = False

    def headers(self, content_type=None):
        h = {}
        if content_type:
            h["Content-Type"] = content_type
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        return h

    def run(self):
        # WHIP publishes: every transceiver (made when parse_launch linked its pad) only sends
        for i in range(2):
            t = self.pc.emit("get-transceiver", i)
            if t is not None:
                t.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        self.pipe.set_state(Gst.State.PLAYING)
        GLib.timeout_add_seconds(self.seconds + 15, self.give_up)
        self.loop.run()
        self.pipe.set_state(Gst.State.NULL)
        return 1 if self.failed else 0

    def fail(self, why):
        say("error", reason=why)
        self.failed = True
        self.finish()

    def give_up(self):
        self.fail("timed out")
        return False

    def on_negotiation_needed(self, _pc):
        # one offer: WHIP has no renegotiation
        if self.offered:
            return
        self.offered = True
        promise = Gst.Promise.new_with_change_func(self.on_offer, None)
        self.pc.emit("create-offer", None, promise)

    def on_offer(self, promise, _data):
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply is not None and reply.has_field("offer") else None
        if offer is None:
            GLib.idle_add(self.fail, "create-offer failed: %s" % (reply.to_string() if reply else "no reply"))
            return
        self.pc.emit("set-local-description", offer, Gst.Promise.new())

    def on_gathering(self, _pc, _spec):
        # No trickle: the offer goes once it holds every candidate, as simple-whip-client's does
        if self.pc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(self.post)

    def on_ice_state(self, _pc, _spec):
        state = self.pc.get_property("ice-connection-state")
        say("ice", state=state.value_nick)
        if state in (GstWebRTC.WebRTCICEConnectionState.CONNECTED, GstWebRTC.WebRTCICEConnectionState.COMPLETED):
            if not getattr(self, "timer", None):
                self.timer = GLib.timeout_add_seconds(self.seconds, self.finish)
        elif state == GstWebRTC.WebRTCICEConnectionState.FAILED:
            GLib.idle_add(self.fail, "ICE failed")

    def post(self):
        if self.posted:
            return False
        self.posted = True
        sdp = self.pc.get_property("local-description").sdp.as_text()
        req = urllib.request.Request(self.endpoint, data=sdp.encode(), method="POST",
                                     headers=self.headers("application/sdp"))
        try:
            with urllib.request.urlopen(req, timeout=20) as res:
                answer = res.read().decode()
                status = res.status
                self.location = urllib.parse.urljoin(self.endpoint, res.headers["Location"])
        except urllib.error.HTTPError as e:
            self.fail("POST answered %d %s" % (e.code, e.read().decode()))
            return False
        except OSError as e:
            self.fail("POST failed: %s" % e)
            return False
        say("created", status=status, location=self.location)
        ok, msg = GstSdp.SDPMessage.new_from_text(answer)
        if ok != GstSdp.SDPResult.OK:
            self.fail("the answer is not SDP")
            return False
        desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        self.pc.emit("set-remote-description", desc, Gst.Promise.new())
        return False

    def finish(self):
        if self.location:
            req = urllib.request.Request(self.location, method="DELETE", headers=self.headers())
            try:
                with urllib.request.urlopen(req, timeout=10) as res:
                    say("deleted", status=res.status)
            except urllib.error.HTTPError as e:
                say("deleted", status=e.code)
            self.location = None
        if not self.failed:
            say("done")
        self.loop.quit()
        return False


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    Gst.init(None)
    endpoint, seconds = sys.argv[1], int(sys.argv[2])
    token = sys.argv[3] if len(sys.argv) > 3 else None
    return WhipClient(endpoint, seconds, token).run()


if __name__ == "__main__":
    sys.exit(main())
