"""Small graph queries shared by passes."""


def consumers(graph):
    """value name -> list of nodes reading it."""
    uses = {}
    for node in graph.nodes:
        for name in node.inputs:
            if name:
                uses.setdefault(name, []).append(node)
    return uses


def graph_output_names(graph):
    return {v.name for v in graph.outputs}
