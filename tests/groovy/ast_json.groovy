// Parses Groovy files with the real Groovy compiler, stopping before anything would run or
// even be compiled to classes (phase CONVERSION: source -> AST), and prints each file's AST
// as one JSON line. Reads one file path per line on stdin, so one JVM serves a whole test run.
import groovy.json.JsonOutput
import org.codehaus.groovy.ast.expr.*
import org.codehaus.groovy.ast.stmt.*
import org.codehaus.groovy.control.CompilationFailedException
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.Phases

def expression(Expression node) {
    if (node instanceof ConstantExpression) {
        return [const: node.value]
    }
    if (node instanceof GStringExpression) {
        return [gstring: node.text]
    }
    if (node instanceof MethodCallExpression) {
        return [call: node.methodAsString, object: node.implicitThis ? null : expression(node.objectExpression),
                args: arguments(node.arguments)]
    }
    if (node instanceof ClosureExpression) {
        return [closure: statements(node.code)]
    }
    if (node instanceof MapExpression) {  // also NamedArgumentListExpression
        return [map: node.mapEntryExpressions.collect { [expression(it.keyExpression), expression(it.valueExpression)] }]
    }
    if (node instanceof ListExpression) {
        return [list: node.expressions.collect { expression(it) }]
    }
    if (node instanceof BinaryExpression && node.operation.text == '=') {
        return [assign: expression(node.leftExpression), value: expression(node.rightExpression)]
    }
    if (node instanceof VariableExpression) {
        return [var: node.name]
    }
    if (node instanceof PropertyExpression) {
        return [property: node.propertyAsString, object: expression(node.objectExpression)]
    }
    return [other: node.class.simpleName, text: node.text]
}

def arguments(Expression node) {
    if (node instanceof TupleExpression) {  // also ArgumentListExpression
        return node.expressions.collect { expression(it) }
    }
    return [expression(node)]
}

def statements(Statement node) {
    if (node instanceof BlockStatement) {
        return node.statements.collect { statement(it) }
    }
    return [statement(node)]
}

def statement(Statement node) {
    if (node instanceof ExpressionStatement) {
        return expression(node.expression)
    }
    return [other: node.class.simpleName, text: node.text]
}

def parse(File file) {
    def config = new CompilerConfiguration()
    config.sourceEncoding = 'UTF-8'
    def unit = new CompilationUnit(config)
    unit.addSource(file)
    unit.compile(Phases.CONVERSION)
    def module = unit.AST.modules[0]
    return [ok: true, statements: statements(module.statementBlock), classes: module.classes.size()]
}

def input = new BufferedReader(new InputStreamReader(System.in, 'UTF-8'))
String path
while ((path = input.readLine()) != null) {
    def result
    try {
        result = parse(new File(path))
    } catch (CompilationFailedException failure) {
        result = [ok: false, error: failure.message]
    }
    System.out.println(JsonOutput.toJson(result))
    System.out.flush()
}
