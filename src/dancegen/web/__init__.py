"""The web page (``dancegen serve``): a Gradio app around the song -> dance -> video pipeline.

``dancegen.web.app`` holds the page (``build_app``, ``launch_app``) and the plain functions it calls
(upload checks, one dance request from song to downloads); ``dancegen.web.commands`` registers the
``serve`` subcommand. Gradio is imported only inside functions, so importing this package needs no
``ui`` extra. See docs/WEB.md.
"""
