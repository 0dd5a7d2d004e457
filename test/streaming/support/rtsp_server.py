"""A real RTSP server for the RTSP mountpoint tests: GStreamer's gst-rtsp-server serving VP8 video
and Opus audio at rtsp://127.0.0.1:PORT/test, optionally behind Basic or Digest auth.
usage: /usr/bin/python3 rtsp_server.py PORT [basic|digest USER PASSWORD]
RTSP_SESSION_TIMEOUT=N: sessions expire N s after the client's last request (gst's default: 60 + 5).
RTSP_TCP_ONLY=1: RTP only interleaved on the RTSP connection (a UDP SETUP answers 461), as cameras behind NAT.
RTSP_ADDRESS=A: listen on A (default 127.0.0.1; ::1 for IPv6). Prints "client IP" for each connection.
Prints "ready PORT" once it listens; runs until killed."""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

Gst.init(None)
port = sys.argv[1]
server = GstRtspServer.RTSPServer()
server.set_address(os.environ.get("RTSP_ADDRESS", "127.0.0.1"))
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 "
    "! vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay name=pay0 pt=96 "
    "audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay name=pay1 pt=111 )"
)
factory.set_shared(True)
if os.environ.get("RTSP_TCP_ONLY"):
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
if len(sys.argv) >= 5:
    mode, user, password = sys.argv[2], sys.argv[3], sys.argv[4]
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
    if mode == "digest":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(user, password, token)
    else:
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    factory.set_permissions(permissions)
server.get_mount_points().add_factory("/test", factory)


def transport_of(request):
    found = request.get_header(GstRtsp.RTSPHeaderField.TRANSPORT, 0)
    return str(found[1] if isinstance(found, tuple) else found)


def on_client(_server, client):
    # the rtspiface tests check which local address the relay connected from
    print("client " + client.get_connection().get_ip(), flush=True)
    # the tests check that a destroyed mountpoint tears its session down
    client.connect("teardown-request", lambda _c, _ctx: print("teardown", flush=True))
    client.connect("play-request", lambda _c, _ctx: print("play", flush=True))
    client.connect("get-parameter-request", lambda _c, _ctx: print("keepalive", flush=True))
    client.connect("options-request", lambda _c, _ctx: print("options", flush=True))
    client.connect("setup-request", lambda _c, ctx: print("setup " + transport_of(ctx.request), flush=True))
    timeout = os.environ.get("RTSP_SESSION_TIMEOUT")
    if timeout:

        def short(_c, session):
            session.set_timeout(int(timeout))
            session.set_property("extra-timeout", 0)

        client.connect("new-session", short)


server.connect("client-connected", on_client)
if os.environ.get("RTSP_SESSION_TIMEOUT"):
    # gst-rtsp-server expires sessions only when its pool is cleaned up: every second here
    GLib.timeout_add_seconds(1, lambda: server.get_session_pool().cleanup() >= 0)
if server.attach(None) == 0:
    print("failed to listen", flush=True)
    sys.exit(1)
print(f"ready {port}", flush=True)
GLib.MainLoop().run()
