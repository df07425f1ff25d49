namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
        public static unsafe class utils
        {
            /// <summary>
            /// Scales every gradient by one factor so that their joint <paramref name="norm_type"/>-norm is at most
            /// <paramref name="max_norm"/>; returns the norm before clipping. Parameters without a gradient are skipped.
            /// </summary>
            public static double clip_grad_norm_(IEnumerable<Tensor> parameters, double max_norm, double norm_type = 2.0)
            {
                var handles = parameters.Select(p => p.Handle).ToArray();
                double total;
                fixed (IntPtr* h = handles) Native.Check(Native.aip_clip_grad_norm(h, handles.Length, max_norm, norm_type, out total));
                return total;
            }
        }
    }
}
