#!/usr/bin/python3
"""A third-party WHEP player for the tests: aiortc (Debian's python3-aiortc).

It offers recvonly audio and video (its candidates gathered, no trickle), POSTs the offer to the WHEP
endpoint (urllib), applies the answer, decodes the video for N seconds, then DELETEs the resource.
Progress and the decoded frames go to stdout as JSON lines for the test to read.

Usage: /usr/bin/python3 aiortc_whep_player.py ENDPOINT_URL SECONDS
"""
import asyncio
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError


def say(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def http(url, method, body=None):
    headers = {"Content-Type": "application/sdp"} if body is not None else {}
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as res:
            return res.status, res.headers, res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


async def play(endpoint, seconds):
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("video", direction="recvonly")
    frames = {"video": 0, "audio": 0, "width": 0, "height": 0}

    async def consume(track):
        try:
            while True:
                frame = await track.recv()
                frames[track.kind] += 1
                if track.kind == "video":
                    frames["width"], frames["height"] = frame.width, frame.height
        except MediaStreamError:
            pass

    tasks = []
    pc.on("track", lambda track: tasks.append(asyncio.ensure_future(consume(track))))
    pc.on("connectionstatechange", lambda: say("connection", state=pc.connectionState))
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    status, headers, answer = await loop.run_in_executor(None, http, endpoint, "POST", pc.localDescription.sdp)
    if status != 201:
        say("error", reason="POST answered %d %s" % (status, answer))
        await pc.close()
        return 1
    location = urllib.parse.urljoin(endpoint, headers["Location"])
    say("created", status=status, location=location)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    await asyncio.sleep(seconds)
    say("frames", **frames)
    status, _, _ = await loop.run_in_executor(None, http, location, "DELETE")
    say("deleted", status=status)
    await pc.close()
    for t in tasks:
        t.cancel()
    say("done")
    return 0


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    return asyncio.run(play(sys.argv[1], int(sys.argv[2])))


if __name__ == "__main__":
    sys.exit(main())
