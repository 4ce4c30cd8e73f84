def load_demo():
    yield "TODO"
