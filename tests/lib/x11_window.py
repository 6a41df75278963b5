#!/usr/bin/env python3
"""Open an X11 window of one colour with a title, as another application's window would be,
until standard input closes (the test's stand-in for "the program the user wants to show").

Usage: x11_window.py TITLE X Y WIDTH HEIGHT RRGGBB
Prints the window's id (decimal, as `xdotool search` prints ids) once it is mapped.
"""
import ctypes
import ctypes.util
import select
import sys


def main() -> int:
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        return 2
    title = sys.argv[1].encode()
    x, y, width, height = (int(v) for v in sys.argv[2:6])
    colour = int(sys.argv[6], 16)
    xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XDefaultRootWindow.restype = ctypes.c_ulong
    xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    xlib.XCreateSimpleWindow.restype = ctypes.c_ulong
    xlib.XCreateSimpleWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                                         ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_ulong]
    xlib.XStoreName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_char_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XChangeProperty.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int,
                                     ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    xlib.XMapWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    xlib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    xlib.XClearWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = xlib.XOpenDisplay(None)
    if not display:
        print("cannot open the X display (is DISPLAY set?)", file=sys.stderr)
        return 1
    root = xlib.XDefaultRootWindow(display)
    window = xlib.XCreateSimpleWindow(display, root, x, y, width, height, 0, 0, colour)
    xlib.XStoreName(display, window, title)
    net_name = xlib.XInternAtom(display, b"_NET_WM_NAME", 0)
    utf8 = xlib.XInternAtom(display, b"UTF8_STRING", 0)
    xlib.XChangeProperty(display, window, net_name, utf8, 8, 0, title, len(title))
    xlib.XMapWindow(display, window)
    xlib.XSync(display, 0)
    print(window, flush=True)
    # Repaint now and then (a window manager may map it later), until told to go.
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], 0.5)
        if ready and not sys.stdin.read(1):
            break
        xlib.XClearWindow(display, window)
        xlib.XFlush(display)
    xlib.XCloseDisplay(display)
    return 0


if __name__ == "__main__":
    sys.exit(main())
